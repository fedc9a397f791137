"""The backup file: parts (the database dump, the manifest) in one authenticated, encrypted stream.

Layout on disk::

    header   "TSUENBK" 0x01 | key id (8 bytes) | salt (16 random bytes)          32 bytes
    chunks   length (4 bytes, big-endian) | AES-256-GCM ciphertext with its tag, repeated

* The file key is HKDF-SHA256(backup key, salt, "tsuen backup v1"): a fresh key per file.
* Each chunk holds up to 1 MiB of plaintext. Its nonce is the chunk's number (11 bytes) and a
  last-chunk flag (1 byte); the header is the associated data of every chunk. Changing, moving,
  dropping or adding a chunk, cutting the file short or appending to it all make decryption
  fail (the "STREAM" construction), and a file is read and written in bounded memory.
* The key id lets a restore say "made with another key" before trying to decrypt.

Inside, the plaintext is a sequence of named parts, each ``"PART" | name length (2 bytes) |
name | frames`` where a frame is ``length (4 bytes) | bytes`` and a zero length ends the part,
and then ``"END!"``. The manifest is the last part, ``manifest.json``; it lists the SHA-256 and
size of every other part.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from tsuen.backups.keys import key_id

MAGIC = b"TSUENBK\x01"
HEADER_BYTES = 32
CHUNK_BYTES = 1 << 20
TAG_BYTES = 16
MANIFEST = "manifest.json"
_LEN = struct.Struct(">I")


class BackupDamaged(Exception):
    """The file is not a complete, unaltered backup made with this key."""


class WrongKey(BackupDamaged):
    """The file was made with another backup key."""


def _file_key(key: bytes, salt: bytes) -> AESGCM:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"tsuen backup v1")
    return AESGCM(hkdf.derive(key))


def _nonce(number: int, last: bool) -> bytes:
    return number.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


class _Encryptor:
    """A write-only stream: buffers plaintext, writes full chunks, the last one on close."""

    def __init__(self, out: BinaryIO, key: bytes) -> None:
        salt = os.urandom(16)
        self.header = MAGIC + key_id(key) + salt
        self.aead = _file_key(key, salt)
        self.out = out
        self.buffer = bytearray()
        self.number = 0
        self.digest = hashlib.sha256()
        self.size = 0
        self._emit(self.header)

    def _emit(self, data: bytes) -> None:
        self.out.write(data)
        self.digest.update(data)
        self.size += len(data)

    def _chunk(self, plaintext: bytes, last: bool) -> None:
        sealed = self.aead.encrypt(_nonce(self.number, last), plaintext, self.header)
        self._emit(_LEN.pack(len(sealed)) + sealed)
        self.number += 1

    def write(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) > CHUNK_BYTES:  # keep some back: the last chunk is flagged
            self._chunk(bytes(self.buffer[:CHUNK_BYTES]), last=False)
            del self.buffer[:CHUNK_BYTES]

    def close(self) -> None:
        self._chunk(bytes(self.buffer), last=True)
        self.buffer.clear()


class PartWriter:
    def __init__(self, stream: _Encryptor, name: str) -> None:
        self.stream = stream
        self.name = name
        self.digest = hashlib.sha256()
        self.size = 0
        encoded = name.encode("utf-8")
        stream.write(b"PART" + struct.pack(">H", len(encoded)) + encoded)

    def write(self, data: bytes) -> None:
        if not data:
            return
        self.stream.write(_LEN.pack(len(data)) + data)
        self.digest.update(data)
        self.size += len(data)

    def close(self) -> dict:
        self.stream.write(_LEN.pack(0))
        return {"name": self.name, "size": self.size, "sha256": self.digest.hexdigest()}


class BackupWriter:
    """Writes ``path`` through ``path.partial`` (mode 0600), renamed only when complete."""

    def __init__(self, path: Path, key: bytes) -> None:
        self.path = Path(path)
        self.partial = self.path.with_name(self.path.name + ".partial")
        fd = os.open(self.partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self.file = os.fdopen(fd, "wb")
        self.stream = _Encryptor(self.file, key)
        self.parts: list[dict] = []

    def add_stream(self, name: str, source: BinaryIO) -> dict:
        part = PartWriter(self.stream, name)
        while data := source.read(CHUNK_BYTES):
            part.write(data)
        info = part.close()
        self.parts.append(info)
        return info

    def finish(self, manifest: dict) -> tuple[int, str]:
        """Write the manifest and the end; return the file's size and SHA-256."""
        part = PartWriter(self.stream, MANIFEST)
        part.write(json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8"))
        part.close()
        self.stream.write(b"END!")
        self.stream.close()
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        os.replace(self.partial, self.path)
        return self.stream.size, self.stream.digest.hexdigest()

    def abandon(self) -> None:
        self.file.close()
        self.partial.unlink(missing_ok=True)


def file_sha256(path: Path) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while data := f.read(CHUNK_BYTES):
            digest.update(data)
            size += len(data)
    return size, digest.hexdigest()


def _plaintext(f: BinaryIO, key: bytes) -> Iterator[bytes]:
    header = f.read(HEADER_BYTES)
    if len(header) != HEADER_BYTES or not header.startswith(MAGIC):
        raise BackupDamaged("this is not a tsuen backup file (or its beginning is damaged)")
    if header[8:16] != key_id(key):
        raise WrongKey(
            "this backup was made with another backup key: set TSUEN_BACKUP_KEY to the key "
            "that was in use when it was made"
        )
    aead = _file_key(key, header[16:32])
    number = 0
    length = f.read(_LEN.size)
    while True:
        if len(length) != _LEN.size:
            raise BackupDamaged("the file ends before its last chunk (cut short)")
        (size,) = _LEN.unpack(length)
        if not TAG_BYTES <= size <= CHUNK_BYTES + TAG_BYTES:
            raise BackupDamaged(f"chunk {number} has an impossible length (altered)")
        sealed = f.read(size)
        if len(sealed) != size:
            raise BackupDamaged("the file ends inside a chunk (cut short)")
        length = f.read(_LEN.size)
        last = not length
        try:
            yield aead.decrypt(_nonce(number, last), sealed, header)
        except InvalidTag:
            raise BackupDamaged(
                f"chunk {number} does not authenticate: the file was altered, cut short or extended"
            ) from None
        if last:
            return
        number += 1


class _Reader:
    """Exact reads over the decrypted chunks."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.buffer = bytearray()

    def read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = next(self.chunks, None)
            if chunk is None:
                raise BackupDamaged("the backup's contents end too early")
            self.buffer += chunk
        data = bytes(self.buffer[:n])
        del self.buffer[:n]
        return data

    def at_end(self) -> bool:
        if self.buffer:
            return False
        for chunk in self.chunks:
            if chunk:
                self.buffer += chunk
                return False
        return True


class _Discard:
    def write(self, data: bytes) -> None:
        pass


@contextlib.contextmanager
def _sink(target: Path | bool):
    """A new private file to write a part into, or (``False``: only checking) nowhere."""
    if not target:
        yield _Discard()
        return
    with os.fdopen(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        yield out


def unpack(path: Path, key: bytes, into: Path | None) -> tuple[dict, dict[str, Path]]:
    """Decrypt ``path`` into the directory ``into`` (``None``: keep nothing, only check) and
    check it against its manifest.

    Returns the manifest and the file of each part. Raises :class:`BackupDamaged` (or
    :class:`WrongKey`) when anything does not authenticate or match; the caller has then
    written nothing but files in ``into``.
    """
    found: dict[str, dict] = {}
    files: dict[str, Path] = {}
    manifest_bytes = b""
    with open(path, "rb") as f:
        reader = _Reader(_plaintext(f, key))
        while (tag := reader.read(4)) == b"PART":
            (name_length,) = struct.unpack(">H", reader.read(2))
            name = reader.read(name_length).decode("utf-8")
            if name in found or "/" in name or name.startswith("."):
                raise BackupDamaged(f"part {name!r} is not allowed or repeated")
            digest, size = hashlib.sha256(), 0
            target = into / name if into is not None else Path(os.devnull)
            with _sink(into is not None and target) as out:
                while frame := _LEN.unpack(reader.read(4))[0]:
                    data = reader.read(frame)
                    digest.update(data)
                    size += len(data)
                    if name == MANIFEST:
                        manifest_bytes += data
                    out.write(data)
            found[name] = {"size": size, "sha256": digest.hexdigest()}
            files[name] = target
        if tag != b"END!" or not reader.at_end():
            raise BackupDamaged("the backup's contents do not end where they should")
    if MANIFEST not in found:
        raise BackupDamaged("the backup has no manifest")
    manifest = json.loads(manifest_bytes)
    listed = {part["name"]: part for part in manifest.get("parts", [])}
    if set(listed) != set(found) - {MANIFEST}:
        raise BackupDamaged("the parts in the file are not those the manifest lists")
    for name, part in listed.items():
        if (part["size"], part["sha256"]) != (found[name]["size"], found[name]["sha256"]):
            raise BackupDamaged(f"part {name}: size or SHA-256 differs from the manifest")
    return manifest, files
