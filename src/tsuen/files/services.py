"""The one upload path: every file enters through :func:`check_upload` and :func:`store_upload`.

:func:`check_upload` limits the size, has ClamAV's clamd scan the bytes (fail closed: no
verdict, no file), checks the type by the file's content (never its name or the browser's
claim) and re-encodes images without their metadata. It returns a :class:`CheckedUpload`,
the only thing :func:`store_upload` stores. Call it *before* opening the transaction that
stores the file: scanning takes time that should not hold row locks, and an infected file's
audit row must not be rolled back with the caller's transaction (a durable block enforces
this).

:func:`store_upload` writes the row and its encrypted bytes (:mod:`tsuen.files.blobs`) in one
transaction and records the upload. Reading goes through :func:`open_for`, which authorizes,
decrypts, checks and audits.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from tsuen.audit import Action as AuditAction
from tsuen.audit import record
from tsuen.authz.policy import Action, get_or_404
from tsuen.files import blobs, clamav, images
from tsuen.files.models import Purpose, ScanStatus, StoredFile

logger = logging.getLogger("tsuen.files")

MAX_BYTES = 10 * 1024 * 1024

#: (content type, magic bytes at offset 0) of the types we accept.
SIGNATURES = (
    ("application/pdf", b"%PDF-"),
    ("image/jpeg", b"\xff\xd8\xff"),
    ("image/png", b"\x89PNG\r\n\x1a\n"),
)
ALLOWED = {
    Purpose.FEE_EVIDENCE: {"application/pdf", "image/jpeg", "image/png"},
    Purpose.DOCTOR_CERTIFICATE: {"application/pdf", "image/jpeg", "image/png"},
    Purpose.FACILITY_PHOTO: {"image/jpeg", "image/png"},
    Purpose.EXCHANGE_IMPORT: {"text/csv"},
}
#: Purposes whose files are read only by their own service, never through ``files:download``.
NOT_DOWNLOADABLE = (Purpose.EXCHANGE_IMPORT,)


def looks_like_text(data: bytes) -> bool:
    """Text, not a binary file dressed as CSV: no NUL byte and no other control character
    than tab, CR and LF in the first 64 KiB."""
    head = data[:65536]
    return not any(b < 0x20 and b not in (0x09, 0x0A, 0x0D) for b in head)


SCANNER_DOWN = _(
    "The virus check is not available just now, so the file was not accepted. "
    "Please try again later."
)


class UploadRefused(ValidationError):
    """The file is refused; the message says why in the user's language."""


class FileUnavailable(Exception):
    """The user may read the file, but its stored copy cannot be served (see ``reason``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "integrity" or "not_scanned"


def sniff(data: bytes) -> str | None:
    for content_type, magic in SIGNATURES:
        if data.startswith(magic):
            return content_type
    return None


@dataclass(frozen=True)
class Owner:
    municipality_id: int
    household_id: int | None = None
    child_id: int | None = None
    facility_id: int | None = None


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed every check, as it will be stored (images already re-encoded)."""

    purpose: Purpose
    owner: Owner
    original_name: str
    content_type: str
    data: bytes = field(repr=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def scan(data: bytes) -> clamav.Verdict:
    """clamd's verdict on ``data``; :class:`UploadRefused` when there is none."""
    if not settings.CLAMD_SOCKET:
        logger.error("upload refused: no virus scanner configured (TSUEN_CLAMD_SOCKET)")
        raise UploadRefused(SCANNER_DOWN)
    try:
        return clamav.scan(data, address=settings.CLAMD_SOCKET, timeout=settings.CLAMD_TIMEOUT)
    except clamav.ScannerUnavailable as exc:
        logger.error("upload refused: the virus scanner gave no verdict (%s)", exc)
        raise UploadRefused(SCANNER_DOWN) from None


def check_upload(user, upload, *, purpose: Purpose, owner: Owner) -> CheckedUpload:
    """Check, scan and clean one uploaded file. Raises :class:`UploadRefused`.

    The caller has already authorized the user to attach a file to ``owner``."""
    if upload.size > MAX_BYTES:
        raise UploadRefused(
            _("The file is too large: the limit is %(mb)d MB.") % {"mb": MAX_BYTES // 2**20}
        )
    data = upload.read()
    # Scanned first, whatever it claims to be: malware dressed as a PDF is still recorded.
    verdict = scan(data)
    if not verdict.clean:
        _record_malware(data, verdict, owner)
        raise UploadRefused(
            _(
                "The virus check found malware in this file, so it was not accepted. "
                "Please check your device and upload a clean copy."
            )
        )
    content_type = sniff(data)
    if content_type is None and purpose == Purpose.EXCHANGE_IMPORT and looks_like_text(data):
        content_type = "text/csv"
    if content_type not in ALLOWED[purpose]:
        if purpose == Purpose.EXCHANGE_IMPORT:
            raise UploadRefused(
                _(
                    "This kind of file is not accepted. "
                    "Please upload a CSV file (UTF-8 or Shift_JIS)."
                )
            )
        raise UploadRefused(
            _("This kind of file is not accepted. Please upload a PDF, JPEG or PNG.")
        )
    if content_type in images.FORMATS:
        try:
            data = images.strip_metadata(data, content_type)
        except images.ImageRefused as refused:
            if refused.reason == "too_large":
                raise UploadRefused(
                    _("The image is too large: at most %(mp)d megapixels.")
                    % {"mp": images.MAX_PIXELS // 1_000_000}
                ) from None
            raise UploadRefused(
                _("This image could not be read. Please upload an undamaged JPEG or PNG.")
            ) from None
    return CheckedUpload(purpose, owner, (upload.name or "upload")[-200:], content_type, data)


def check_data_file(upload, *, owner: Owner, max_bytes: int) -> bytes:
    """The bytes of an uploaded data file (a CSV to import) that is read, never stored: the
    same size limit and clamd scan as :func:`check_upload` (malware recorded, no verdict
    refused); the caller checks the content. Raises :class:`UploadRefused`."""
    if upload.size > max_bytes:
        raise UploadRefused(
            _("The file is too large: the limit is %(kb)d KB.") % {"kb": max_bytes // 1024}
        )
    data = upload.read()
    verdict = scan(data)
    if not verdict.clean:
        _record_malware(data, verdict, owner)
        raise UploadRefused(
            _(
                "The virus check found malware in this file, so it was not accepted. "
                "Please check your device and upload a clean copy."
            )
        )
    return data


def _record_malware(data: bytes, verdict: clamav.Verdict, owner: Owner) -> None:
    """Audit the refusal now, in a transaction of its own: the caller's may roll back.

    The event names the owner's child (if any) and the file's SHA-256, never its content."""
    from tsuen.families.models import Child

    logger.warning(
        "upload refused: malware %r found (municipality %s)",
        verdict.signature,
        owner.municipality_id,
    )
    subjects = [Child(pk=owner.child_id)] if owner.child_id else []
    # durable: raises if a caller scans inside its own transaction (see the module docstring)
    with transaction.atomic(durable=True):
        record(
            AuditAction.MALWARE_FOUND,
            municipality_id=owner.municipality_id,
            subjects=subjects,
            document_sha256=hashlib.sha256(data).hexdigest(),
        )


def store_upload(user, upload, *, purpose: Purpose, owner: Owner) -> StoredFile:
    """Store one upload (a :class:`CheckedUpload`, or a raw upload that is checked first) and
    its encrypted bytes in one transaction, and record it. Raises :class:`UploadRefused`."""
    checked = upload
    if not isinstance(checked, CheckedUpload):
        checked = check_upload(user, upload, purpose=purpose, owner=owner)
    if (checked.purpose, checked.owner) != (purpose, owner):
        raise ValueError("a checked upload is stored only for the purpose and owner it was for")
    with transaction.atomic():
        stored = StoredFile.objects.create(
            municipality_id=owner.municipality_id,
            household_id=owner.household_id,
            child_id=owner.child_id,
            facility_id=owner.facility_id,
            purpose=purpose,
            original_name=checked.original_name,
            content_type=checked.content_type,
            size=len(checked.data),
            sha256=checked.sha256,
            scan_status=ScanStatus.CLEAN,
            uploaded_by=user,
        )
        blobs.seal(stored, checked.data).save(force_insert=True)
        record("create", stored, fields=["original_name", "content_type", "size"])
    return stored


def open_for(user, file_id: int) -> tuple[StoredFile, bytes]:
    """The file row and its content, if ``user`` may read it (404 otherwise).

    Raises :class:`FileUnavailable` when the stored copy fails its integrity check (bytes that
    belong to another row, an edited row) or was never scanned; nothing is disclosed then."""
    stored = get_or_404(
        user,
        Action.FILE_VIEW,
        StoredFile.objects.exclude(purpose__in=NOT_DOWNLOADABLE),
        pk=file_id,
    )
    if stored.scan_status != ScanStatus.CLEAN:
        raise FileUnavailable("not_scanned")
    try:
        data = blobs.read(stored)
    except blobs.BlobUnreadable as exc:
        logger.error("stored file %s failed its integrity check: %s", stored.pk, exc)
        raise FileUnavailable("integrity") from None
    record("download", stored, fields=["original_name"])
    return stored, data
