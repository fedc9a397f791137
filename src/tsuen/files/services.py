"""The one upload path: every file enters through :func:`store_upload`.

It checks the type by the file's content (never its name or the browser's claim), limits the
size, hands the bytes to the scanner hook (virus scanning plugs in here: ``SCANNER`` names a
function ``scan(data: bytes) -> ScanStatus`` that raises ``UploadRefused`` for an infected
file), stores them under a random name in private storage and records the upload in the audit
trail. Reading goes through :func:`open_for`, which authorizes and audits.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from tsuen.audit import record
from tsuen.authz.policy import Action, get_or_404
from tsuen.core import clock
from tsuen.files.models import Purpose, ScanStatus, StoredFile

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
}
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}


class UploadRefused(ValidationError):
    """The file is refused; the message says why in the user's language."""


def sniff(data: bytes) -> str | None:
    for content_type, magic in SIGNATURES:
        if data.startswith(magic):
            return content_type
    return None


def _no_scanner(data: bytes) -> str:
    return ScanStatus.NOT_SCANNED


def scanner():
    path = getattr(settings, "FILE_SCANNER", "")
    return import_string(path) if path else _no_scanner


@dataclass(frozen=True)
class Owner:
    municipality_id: int
    household_id: int | None = None
    child_id: int | None = None
    facility_id: int | None = None


def store_upload(user, upload, *, purpose: Purpose, owner: Owner) -> StoredFile:
    """Check, scan, store and record one uploaded file. Raises :class:`UploadRefused`.

    The caller has already authorized the user to attach a file to ``owner``."""
    if upload.size > MAX_BYTES:
        raise UploadRefused(
            _("The file is too large: the limit is %(mb)d MB.") % {"mb": MAX_BYTES // 2**20}
        )
    data = upload.read()
    content_type = sniff(data)
    if content_type not in ALLOWED[purpose]:
        raise UploadRefused(
            _("This kind of file is not accepted. Please upload a PDF, JPEG or PNG.")
        )
    if not data:
        raise UploadRefused(_("The file is empty."))
    status = scanner()(data)
    name = f"uploads/{clock.today():%Y/%m}/{uuid.uuid4().hex}.{EXTENSIONS[content_type]}"
    saved = default_storage.save(name, ContentFile(data))
    try:
        if saved != name:  # the row must point at this exact name
            raise RuntimeError("storage renamed an upload")
        with transaction.atomic():
            stored = StoredFile.objects.create(
                municipality_id=owner.municipality_id,
                household_id=owner.household_id,
                child_id=owner.child_id,
                facility_id=owner.facility_id,
                purpose=purpose,
                original_name=(upload.name or "upload")[-200:],
                content_type=content_type,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                storage_name=name,
                scan_status=status,
                uploaded_by=user,
            )
            record("create", stored, fields=["original_name", "content_type", "size"])
    except BaseException:
        default_storage.delete(saved)  # no row, no file: nothing half-written
        raise
    return stored


def open_for(user, file_id: int):
    """The file row and an open binary handle, if ``user`` may read it (404 otherwise)."""
    stored = get_or_404(user, Action.FILE_VIEW, StoredFile.objects.all(), pk=file_id)
    record("download", stored, fields=["original_name"])
    return stored, default_storage.open(stored.storage_name, "rb")
