"""A small client for ClamAV's clamd: ``PING`` and ``INSTREAM`` (no Django, no dependencies).

Why our own: the PyPI ``clamd`` package (1.0.2, unchanged since 2014) writes with
``socket.send`` without checking for short writes, sends 1 KiB chunks and hides its import of
``pkg_resources`` behind a bare ``except``. The protocol needs fifty lines, so we keep them here,
with one deadline for the whole exchange (a daemon that accepts and then stalls cannot hold a
request forever).

The protocol (clamd(8)): commands are prefixed with ``z`` and end with a NUL byte; ``INSTREAM``
is followed by chunks, each a 4-byte big-endian length and the bytes, and a zero-length chunk;
the reply is ``stream: OK``, ``stream: <signature> FOUND`` or ``... ERROR``.

An *address* is a unix socket path (``/run/clamav/clamd.ctl``) or ``host:port``
(``127.0.0.1:3310``, ``[::1]:3310``).

``python -m tsuen.files.clamav ping ADDRESS [--wait SECONDS]`` answers whether a daemon is up
(bin/clamd uses it to wait for the project's own daemon).
"""

from __future__ import annotations

import socket
import struct
import sys
import time
from dataclasses import dataclass

CHUNK_BYTES = 64 * 1024
MAX_REPLY_BYTES = 4096


class ScannerUnavailable(Exception):
    """The daemon could not be reached, did not answer in time, or answered with an error."""


@dataclass(frozen=True)
class Verdict:
    clean: bool
    signature: str = ""  # the signature's name when not clean


def parse_address(address: str) -> tuple[int, object]:
    """(socket family, address) for a unix socket path or ``host:port``."""
    if address.startswith("/"):
        return socket.AF_UNIX, address
    host, sep, port = address.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"not a clamd address (a socket path or host:port): {address!r}")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return family, (host, int(port))


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def arm(self, sock: socket.socket) -> None:
        remaining = self.end - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("clamd did not answer in time")
        sock.settimeout(remaining)


def _exchange(address: str, timeout: float, command: bytes, payload: bytes | None) -> str:
    family, target = parse_address(address)
    deadline = _Deadline(timeout)
    try:
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            deadline.arm(sock)
            sock.connect(target)
            deadline.arm(sock)
            sock.sendall(b"z" + command + b"\0")
            if payload is not None:
                view = memoryview(payload)
                for start in range(0, len(view), CHUNK_BYTES):
                    chunk = view[start : start + CHUNK_BYTES]
                    deadline.arm(sock)
                    sock.sendall(struct.pack("!L", len(chunk)) + chunk)
                deadline.arm(sock)
                sock.sendall(struct.pack("!L", 0))
            reply = b""
            while not reply.endswith(b"\0"):
                deadline.arm(sock)
                part = sock.recv(MAX_REPLY_BYTES)
                if not part:
                    break
                reply += part
                if len(reply) > MAX_REPLY_BYTES:
                    raise ScannerUnavailable("clamd sent an over-long reply")
    except OSError as exc:  # refused, missing socket, reset, broken pipe, timeout
        raise ScannerUnavailable(f"clamd at {address} did not answer: {exc}") from exc
    if not reply.endswith(b"\0"):
        raise ScannerUnavailable("clamd closed the connection without a complete reply")
    return reply[:-1].decode("utf-8", "replace").strip()


def ping(address: str, *, timeout: float = 5.0) -> bool:
    try:
        return _exchange(address, timeout, b"PING", None) == "PONG"
    except ScannerUnavailable:
        return False


def scan(data: bytes, *, address: str, timeout: float) -> Verdict:
    """Scan ``data`` over INSTREAM. Raises :class:`ScannerUnavailable` unless clamd gave a
    verdict: no answer is never taken as clean."""
    reply = _exchange(address, timeout, b"INSTREAM", data)
    if reply == "stream: OK":
        return Verdict(clean=True)
    if reply.startswith("stream: ") and reply.endswith(" FOUND"):
        return Verdict(clean=False, signature=reply.removeprefix("stream: ").removesuffix(" FOUND"))
    raise ScannerUnavailable(f"clamd answered {reply[:200]!r}")


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 4) or argv[0] != "ping" or (len(argv) == 4 and argv[2] != "--wait"):
        print("usage: python -m tsuen.files.clamav ping ADDRESS [--wait SECONDS]", file=sys.stderr)
        return 2
    wait = float(argv[3]) if len(argv) == 4 else 0.0
    end = time.monotonic() + wait
    while True:
        if ping(argv[1]):
            return 0
        if time.monotonic() >= end:
            return 1
        time.sleep(0.2)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
