"""Protected exports: a file of personal data leaves tsuen only as an AES-256 ZIP whose
password is made for that file, shown once on the screen and never mailed, logged or stored
(SECURITY.md item 11; docs/exports.md).

1. The export's own service authorizes and builds the file, then calls :func:`seal`: the file
   is zipped under a fresh password (WinZip AES, 256-bit) and only the encrypted ZIP is kept,
   in a :class:`ProtectedExport` row of the user who asked, for ``EXPORT_TTL_SECONDS``. The
   service records its ``export`` audit event with the SHA-256 of that ZIP (the file handed
   out).
2. The view (:func:`tsuen.exports.views.deliver`) shows the password in the answer to the POST
   that asked for the file, after allauth's fresh re-authentication; nothing else ever holds it.
3. :func:`download` hands the ZIP to its owner until it expires (404 for anyone else), and
   records a ``download`` event with the same SHA-256 each time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import pyzipper
from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import Http404
from django.views.decorators.debug import sensitive_variables

from tsuen.audit.actions import Action as Audit
from tsuen.audit.services import record
from tsuen.authz.policy import Action, get_or_404
from tsuen.core import clock
from tsuen.exports.models import ProtectedExport

#: Symbols a person reads without doubt on any screen or font: no 0/O, 1/I/L. (The alphabet of
#: the passwords, not a password: ruff S105, bandit B105.)
PASSWORD_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # noqa: S105  # nosec B105
#: Four groups of five symbols joined by hyphens (the hyphens are part of the password):
#: 20 symbols of 31, about 99 bits.
PASSWORD_GROUPS, PASSWORD_GROUP_LENGTH = 4, 5
DEFAULT_TTL_SECONDS = 10 * 60


def ttl() -> dt.timedelta:
    return dt.timedelta(seconds=int(getattr(settings, "EXPORT_TTL_SECONDS", DEFAULT_TTL_SECONDS)))


def new_password() -> str:
    """A fresh random password, e.g. ``K7QMX-R4PAW-9HTZD-3NVEB``."""
    return "-".join(
        "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_GROUP_LENGTH))
        for _ in range(PASSWORD_GROUPS)
    )


@sensitive_variables("password")
def zip_file(name: str, data: bytes | Mapping[str, bytes], password: str) -> bytes:
    """``data`` as the one member ``name`` of a ZIP encrypted with WinZip AES-256; or, when
    ``data`` maps member names to bytes, each of them (``name`` then names only the ZIP).

    The members' names and sizes are visible without the password (the ZIP format encrypts
    contents, not the directory): callers name files without personal identifiers."""
    members = data if isinstance(data, Mapping) else {name: data}
    out = io.BytesIO()
    with pyzipper.AESZipFile(
        out, "w", compression=pyzipper.ZIP_DEFLATED, encryption=pyzipper.WZ_AES
    ) as archive:
        archive.setpassword(password.encode("ascii"))
        archive.setencryption(pyzipper.WZ_AES, nbits=256)
        for member, content in members.items():
            archive.writestr(member, content)
    return out.getvalue()


@dataclass(frozen=True)
class Sealed:
    """A file just sealed: its export row and the password, which exists only here."""

    export: ProtectedExport
    password: str = field(repr=False)

    @property
    def sha256(self) -> str:
        return self.export.sha256


class AlreadyMade(Exception):
    """This user's form already made its export (the form was sent again)."""

    def __init__(self, export: ProtectedExport):
        super().__init__("export already made for this request")
        self.export = export


def made_for(owner, request_id: str) -> ProtectedExport | None:
    """The live export that ``owner``'s form ``request_id`` already made, if any."""
    return ProtectedExport.objects.filter(
        owner=owner, request_id=request_id, expires_at__gt=clock.now()
    ).first()


@sensitive_variables("password")
def seal(
    owner,
    request_id: str,
    name: str,
    data: bytes | Mapping[str, bytes],
    *,
    municipality_id: int | None,
    subject_child_ids: Iterable[int] = (),
) -> Sealed:
    """Zip ``data`` as ``name`` (or, a mapping, its files under their own names in a ZIP named
    after ``name``) under a new password and keep only the ZIP, for ``owner``.

    ``municipality_id`` is the audit chain of the export (its downloads are recorded there),
    ``subject_child_ids`` the children the file is about. Raises :class:`AlreadyMade` when
    ``owner``'s form ``request_id`` already made an export. The caller records the export
    event with :attr:`Sealed.sha256`."""
    purge_expired()
    password = new_password()
    archive = zip_file(name, data, password)
    now = clock.now()
    try:
        with transaction.atomic():
            export = ProtectedExport.objects.create(
                token=secrets.token_urlsafe(24),
                owner=owner,
                request_id=request_id,
                municipality_id=municipality_id,
                subject_child_ids=sorted(set(subject_child_ids)),
                zip_name=str(PurePosixPath(name).with_suffix(".zip")),
                zip_data=archive,
                sha256=hashlib.sha256(archive).hexdigest(),
                created_at=now,
                expires_at=now + ttl(),
            )
    except IntegrityError:
        existing = ProtectedExport.objects.filter(owner=owner, request_id=request_id).first()
        if existing is None:
            raise
        raise AlreadyMade(existing) from None
    return Sealed(export, password)


def for_owner(user, token: str) -> ProtectedExport:
    """The user's own export, while it lasts; 404 for anyone else and once it has expired
    (an expired export is deleted on the spot)."""
    export = get_or_404(user, Action.EXPORT_DOWNLOAD, ProtectedExport.objects.all(), token=token)
    if export.expires_at <= clock.now():
        export.delete()
        raise Http404
    return export


def download(user, token: str) -> ProtectedExport:
    """The ZIP for its owner; each download is audited with the ZIP's SHA-256."""
    from tsuen.families.models import Child

    export = for_owner(user, token)
    # Stand-ins holding only the ids, as the audit search does: the children may be gone.
    children = [Child(pk=pk) for pk in export.subject_child_ids]
    record(Audit.DOWNLOAD, export, subjects=children, document_sha256=export.sha256)
    return export


def purge_expired(now: dt.datetime | None = None) -> int:
    """Delete every expired export; returns how many."""
    deleted, _ = ProtectedExport.objects.filter(expires_at__lte=now or clock.now()).delete()
    return deleted
