"""Exchange files (issue 13 item 7; docs/exchange-files.md): a ward's certifications as a CSV
file for another system, and the import of such a file for a ward whose records move in.

Export: :func:`export_sealed` (the ward's administrator; a protected export, AES-256 ZIP with
a password shown once, audited with its SHA-256) and :func:`export_file` (the bytes, for the
operator's command, which seals them the same way).

Import: :func:`upload` (through ``tsuen.files``: size limit, clamd, kept encrypted for a short
time), :func:`preview` (rows to create and row-level errors), :func:`commit` (asks first:
the preview's token is recomputed and must match; all rows or none, in one transaction,
audited; the uploaded file is deleted), :func:`discard`, :func:`purge_expired`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from tsuen.audit import record, record_many
from tsuen.authz.policy import Action, get_or_404
from tsuen.certification import changes
from tsuen.certification.models import (
    Certification,
    CertificationStatus,
    CertificationStatusChange,
    ChangeKind,
)
from tsuen.core import clock, confirm
from tsuen.core.kana import normalise_kana
from tsuen.exchange import layout
from tsuen.exchange.models import ExchangeUpload
from tsuen.exports.services import Sealed, seal
from tsuen.families.models import Child, Guardian, Household, HouseholdFeeClass
from tsuen.files import blobs
from tsuen.files.models import Purpose, StoredFile
from tsuen.files.services import Owner, check_upload, store_upload
from tsuen.municipalities.models import Municipality
from tsuen.webhooks import outbox

DEFAULT_UPLOAD_TTL_SECONDS = 60 * 60
CERTIFICATE_NUMBER = re.compile(r"^[0-9A-Za-z][0-9A-Za-z/_-]{0,29}$")
POSTAL_CODE = re.compile(r"^(\d{3})-?(\d{4})$")
DATE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")
KEY = re.compile(r"^[0-9A-Za-z_-]{1,30}$")

#: Field names named in audit events (never values).
HOUSEHOLD_FIELDS = ["postal_code", "prefecture", "city", "address_line", "support_needed"]
PERSON_FIELDS = ["family_name", "given_name", "family_name_kana", "given_name_kana", "birth_date"]
GUARDIAN_AUDIT = [*PERSON_FIELDS, "sex", "relation", "phone", "email", "workplace"]
CHILD_AUDIT = [*PERSON_FIELDS, "sex", "disability", "medical_care"]
CERTIFICATION_AUDIT = ["number", "valid_from", "valid_to", "status", "ended_on", "end_reason"]
FEE_CLASS_AUDIT = ["fee_class", "valid_from", "valid_to"]


class ExchangeRefused(ValidationError):
    """The export or import is refused; the messages say why in the user's language."""


def upload_ttl() -> dt.timedelta:
    seconds = getattr(settings, "EXCHANGE_UPLOAD_TTL_SECONDS", DEFAULT_UPLOAD_TTL_SECONDS)
    return dt.timedelta(seconds=int(seconds))


def ward_of(user) -> Municipality:
    """The user's ward, if they may exchange its certifications (its administrator); 404
    otherwise."""
    if not getattr(user, "municipality_id", None):
        raise Http404
    return get_or_404(
        user, Action.CERTIFICATION_EXCHANGE, Municipality.objects.all(), pk=user.municipality_id
    )


# --- export -----------------------------------------------------------------------------------


def _day(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def _person(prefix: str, person) -> dict[str, str]:
    return {
        f"{prefix}family_name": person.family_name,
        f"{prefix}given_name": person.given_name,
        f"{prefix}family_name_kana": person.family_name_kana,
        f"{prefix}given_name_kana": person.given_name_kana,
        f"{prefix}birth_date": _day(person.birth_date),
        f"{prefix}sex": layout.SEX_CODES.get(person.sex, "9"),
    }


@dataclass
class Exported:
    rows: list[dict[str, str]]
    certifications: list[Certification]
    guardians: list[Guardian]
    households: list[Household]
    fee_classes: list[HouseholdFeeClass]


def _collect(municipality: Municipality) -> Exported:
    """Every certification of the ward, one row each, ordered by certificate number; the
    household and child keys numbered in that order."""
    certifications = list(
        Certification.objects.filter(municipality=municipality)
        .select_related("child", "child__household")
        .prefetch_related("child__household__guardians", "child__household__fee_classes")
        .order_by("number")
    )
    households: dict[int, str] = {}
    children: dict[int, str] = {}
    rows, guardians, fee_rows, household_rows = [], [], [], []
    for c in certifications:
        child, household = c.child, c.child.household
        if household.pk not in households:
            households[household.pk] = f"H{len(households) + 1:05d}"
            household_rows.append(household)
        children.setdefault(child.pk, f"C{len(children) + 1:05d}")
        row = dict.fromkeys(layout.COLUMNS, "")
        row |= {
            "municipality_code": municipality.code,
            "certificate_number": c.number,
            "valid_from": _day(c.valid_from),
            "valid_to": _day(c.valid_to),
            "status": c.status,
            "ended_on": _day(c.ended_on),
            "end_reason": c.end_reason,
            "certified_on": _day(timezone.localtime(c.certified_at).date()),
            "child_key": children[child.pk],
            **_person("child_", child),
            "child_disability": layout.FLAG_CODES[bool(child.disability)],
            "child_medical_care": layout.FLAG_CODES[bool(child.medical_care)],
            "household_key": households[household.pk],
            "postal_code": _postal(household.postal_code),
            "prefecture": household.prefecture,
            "city": household.city,
            "address_line": household.address_line,
            "support_needed": layout.FLAG_CODES[bool(household.support_needed)],
        }
        ordered = sorted(household.guardians.all(), key=lambda g: (not g.is_primary, g.pk))
        for n, guardian in enumerate(ordered[: layout.GUARDIAN_GROUPS], start=1):
            prefix = f"guardian{n}_"
            row |= _person(prefix, guardian) | {
                f"{prefix}relation": guardian.relation,
                f"{prefix}phone": guardian.phone,
                f"{prefix}email": guardian.email,
                f"{prefix}workplace": guardian.workplace,
            }
            guardians.append(guardian)
        latest = sorted(household.fee_classes.all(), key=lambda f: (f.valid_from, f.pk))
        for n, fee in enumerate(latest[-layout.FEE_CLASS_GROUPS :], start=1):
            row |= {
                f"fee_class_{n}": fee.fee_class,
                f"fee_class_{n}_from": _day(fee.valid_from),
                f"fee_class_{n}_to": _day(fee.valid_to),
            }
            fee_rows.append(fee)
        rows.append(row)
    unique = {g.pk: g for g in guardians}
    fees = {f.pk: f for f in fee_rows}
    return Exported(
        rows, certifications, list(unique.values()), household_rows, list(fees.values())
    )


def _postal(code: str) -> str:
    match = POSTAL_CODE.match(code or "")
    return f"{match[1]}-{match[2]}" if match else code


def file_name(municipality: Municipality, encoding: str) -> str:
    suffix = "-sjis" if encoding == layout.CP932 else ""
    return f"certifications-{municipality.code}-{clock.today():%Y%m%d}{suffix}.csv"


def unencodable_messages(problems: list[layout.Unencodable]) -> list[str]:
    return [
        _(
            "Row %(row)s, column %(column)s: %(chars)s cannot be written in Shift_JIS. "
            "Export in UTF-8, or correct the record first."
        )
        % {
            "row": p.row,
            "column": p.column,
            "chars": " ".join(f"{ch} (U+{ord(ch):04X})" for ch in p.characters),
        }
        for p in problems
    ]


def _encoded(exported: Exported, encoding: str) -> bytes:
    if encoding not in layout.ENCODINGS:
        raise ExchangeRefused(_("Choose UTF-8 or Shift_JIS."))
    try:
        return layout.write(exported.rows, encoding)
    except layout.EncodingRefused as refused:
        raise ExchangeRefused(unencodable_messages(refused.problems)) from None


def export_check(user, encoding: str) -> None:
    """404 unless ``user`` may export; :class:`ExchangeRefused` when the file cannot be
    written in ``encoding`` (each cell named). Nothing is made or disclosed but positions."""
    _encoded(_collect(ward_of(user)), encoding)


def _record_export(exported: Exported, sha256: str, municipality_id: int) -> None:
    if not exported.certifications:
        record("export", municipality_id=municipality_id, document_sha256=sha256)
    record_many(
        "export", exported.certifications, fields=CERTIFICATION_AUDIT, document_sha256=sha256
    )
    children = {c.child_id: c.child for c in exported.certifications}
    record_many("export", list(children.values()), fields=CHILD_AUDIT, document_sha256=sha256)
    record_many("export", exported.guardians, fields=GUARDIAN_AUDIT, document_sha256=sha256)
    record_many(
        "export",
        exported.households,
        fields=HOUSEHOLD_FIELDS,
        subjects=lambda h: list(h.children.all()),
        document_sha256=sha256,
    )
    record_many(
        "export",
        exported.fee_classes,
        fields=FEE_CLASS_AUDIT,
        subjects=lambda f: list(f.household.children.all()),
        document_sha256=sha256,
    )


def export_sealed(user, encoding: str, *, request_id: str) -> Sealed:
    """The ward's certifications as an exchange file, sealed as a protected export (AES-256
    ZIP, password shown once) for its administrator; every row audited with the ZIP's
    SHA-256."""
    municipality = ward_of(user)
    with transaction.atomic():
        exported = _collect(municipality)
        data = _encoded(exported, encoding)
        sealed = seal(
            user,
            request_id,
            file_name(municipality, encoding),
            data,
            municipality_id=municipality.pk,
            subject_child_ids=[c.child_id for c in exported.certifications],
        )
        _record_export(exported, sealed.sha256, municipality.pk)
    return sealed


def export_file(user, encoding: str) -> tuple[str, bytes, Exported]:
    """The file's name and bytes, for the operator's command (which seals and audits it with
    :func:`record_export`)."""
    municipality = ward_of(user)
    exported = _collect(municipality)
    return file_name(municipality, encoding), _encoded(exported, encoding), exported


def record_export(user, exported: Exported, sha256: str) -> None:
    _record_export(exported, sha256, ward_of(user).pk)


# --- import: checking a file ------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


@dataclass
class Planned:
    """One row to create, checked: its values as they will be stored."""

    row: int
    number: str
    valid_from: dt.date
    valid_to: dt.date
    status: str
    ended_on: dt.date | None
    end_reason: str
    certified_on: dt.date
    child_key: str
    child: dict
    household_key: str
    household: dict
    guardians: list[dict]
    fee_classes: list[dict]


@dataclass
class Preview:
    encoding: str
    rows: list[Planned] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    sha256: str = ""

    @property
    def households(self) -> int:
        return len({p.household_key for p in self.rows})

    @property
    def children(self) -> int:
        return len({p.child_key for p in self.rows})

    @property
    def guardians(self) -> int:
        first = {p.household_key: p for p in self.rows}
        return sum(len(p.guardians) for p in first.values())

    @property
    def fee_classes(self) -> int:
        first = {p.household_key: p for p in self.rows}
        return sum(len(p.fee_classes) for p in first.values())

    @property
    def token(self) -> str:
        return confirm.token(
            self.sha256,
            self.encoding,
            len(self.rows),
            tuple((e.row, e.column, e.message) for e in self.errors),
        )


class _Row:
    """Reads one record's cells, collecting errors by column."""

    def __init__(self, record: layout.Record, errors: list[RowError]):
        self.number, self.values, self.errors = record.number, record.values, errors

    def error(self, column: str, message: str) -> None:
        self.errors.append(RowError(self.number, column, message))

    def text(self, column: str, *, required: bool = False, max_length: int = 200) -> str:
        value = self.values.get(column, "")
        if required and not value:
            self.error(column, _("This column is required."))
        elif len(value) > max_length:
            self.error(column, _("At most %(n)s characters.") % {"n": max_length})
        return value

    def date(self, column: str, *, required: bool = False) -> dt.date | None:
        value = self.text(column, required=required)
        if not value:
            return None
        match = DATE.match(value)
        try:
            return dt.date(int(match[1]), int(match[2]), int(match[3])) if match else _bad()
        except ValueError:
            self.error(column, _("Write a date as YYYY-MM-DD (e.g. 2026-04-01)."))
            return None

    def code(self, column: str, codes, *, default: str = "", required: bool = True) -> str:
        value = self.values.get(column, "")
        if not value and not required:
            return default
        if value not in codes:
            self.error(column, _("Use one of: %(codes)s.") % {"codes": ", ".join(codes)})
        return value

    def flag(self, column: str) -> bool:
        value = self.values.get(column, "")
        if value not in ("", "0", "1"):
            self.error(column, _("Use one of: %(codes)s.") % {"codes": "0, 1"})
        return value == "1"

    def kana(self, column: str) -> str:
        value = self.text(column, required=True, max_length=100)
        if not value:
            return ""
        try:
            return normalise_kana(value)
        except ValidationError as refused:
            self.error(column, " ".join(refused.messages))
            return ""

    def person(self, prefix: str) -> dict:
        sex = self.code(f"{prefix}sex", list(layout.SEX_FROM_CODE), default="9", required=False)
        return {
            "family_name": self.text(f"{prefix}family_name", required=True, max_length=50),
            "given_name": self.text(f"{prefix}given_name", required=True, max_length=50),
            "family_name_kana": self.kana(f"{prefix}family_name_kana"),
            "given_name_kana": self.kana(f"{prefix}given_name_kana"),
            "birth_date": self.date(f"{prefix}birth_date", required=True),
            "sex": layout.SEX_FROM_CODE.get(sex, "other"),
        }

    def guardian(self, n: int) -> dict | None:
        prefix = f"guardian{n}_"
        if n > 1 and not any(self.values.get(c) for c in layout.guardian_columns(n)):
            return None
        guardian = self.person(prefix) | {
            "relation": self.text(f"{prefix}relation", max_length=30),
            "phone": self.text(f"{prefix}phone", max_length=20),
            "email": self.text(f"{prefix}email", max_length=254),
            "workplace": self.text(f"{prefix}workplace", max_length=100),
        }
        if guardian["email"]:
            try:
                validate_email(guardian["email"])
            except ValidationError:
                self.error(f"{prefix}email", _("Enter a valid email address."))
        return guardian

    def fee_classes(self) -> list[dict]:
        found: list[dict] = []
        for n in range(1, layout.FEE_CLASS_GROUPS + 1):
            name, start, end = layout.fee_class_columns(n)
            if not any(self.values.get(c) for c in (name, start, end)):
                continue
            fee = {
                "fee_class": self.code(name, layout.FEE_CLASSES),
                "valid_from": self.date(start, required=True),
                "valid_to": self.date(end),
            }
            if fee["valid_from"] and fee["valid_to"] and fee["valid_to"] < fee["valid_from"]:
                self.error(end, _("The end of validity cannot be before its start."))
            if found and fee["valid_from"]:
                before = found[-1]
                if before["valid_to"] is None or before["valid_to"] >= fee["valid_from"]:
                    self.error(
                        start,
                        _("Fee classes must follow one another without overlapping."),
                    )
            found.append(fee)
        return found


def _bad():
    raise ValueError


def _check_row(row: _Row, municipality: Municipality) -> Planned | None:
    before = len(row.errors)
    code = row.text("municipality_code", required=True)
    if code and code != municipality.code:
        row.error(
            "municipality_code",
            _("This row is for municipality %(code)s, not %(ward)s (%(name)s).")
            % {"code": code, "ward": municipality.code, "name": municipality.name},
        )
    number = row.text("certificate_number", required=True, max_length=30)
    if number and not CERTIFICATE_NUMBER.match(number):
        row.error(
            "certificate_number",
            _("Use letters, digits, hyphens, slashes and underscores only (at most 30)."),
        )
    valid_from = row.date("valid_from", required=True)
    valid_to = row.date("valid_to", required=True)
    if valid_from and valid_to and valid_to < valid_from:
        row.error("valid_to", _("The end of validity cannot be before its start."))
    status = row.code("status", layout.STATUSES)
    ended_on = row.date("ended_on")
    end_reason = row.code("end_reason", layout.END_REASONS, required=False)
    if status == "ended":
        if ended_on is None and not row.values.get("ended_on"):
            row.error("ended_on", _("An ended certification needs the day it ended."))
        if not end_reason:
            row.error("end_reason", _("An ended certification needs the reason it ended."))
        if ended_on and valid_from and ended_on < valid_from:
            row.error("ended_on", _("It cannot end before its validity starts."))
    elif status == "active" and (row.values.get("ended_on") or end_reason):
        column = "ended_on" if row.values.get("ended_on") else "end_reason"
        row.error(column, _("An active certification has no end."))
    certified_on = row.date("certified_on", required=True)
    child_key = row.text("child_key", required=True, max_length=30)
    household_key = row.text("household_key", required=True, max_length=30)
    for column, key in (("child_key", child_key), ("household_key", household_key)):
        if key and not KEY.match(key):
            row.error(column, _("Use letters, digits, hyphens and underscores only (at most 30)."))
    child = row.person("child_") | {
        "disability": row.flag("child_disability"),
        "medical_care": row.flag("child_medical_care"),
    }
    postal = row.text("postal_code", required=True)
    match = POSTAL_CODE.match(postal)
    if postal and not match:
        row.error("postal_code", _("Enter a seven-digit postal code."))
    household = {
        "postal_code": f"{match[1]}-{match[2]}" if match else postal,
        "prefecture": row.text("prefecture", required=True, max_length=10),
        "city": row.text("city", required=True, max_length=50),
        "address_line": row.text("address_line", required=True, max_length=200),
        "support_needed": row.flag("support_needed"),
    }
    guardians = [g for n in range(1, layout.GUARDIAN_GROUPS + 1) if (g := row.guardian(n))]
    fee_classes = row.fee_classes()
    if len(row.errors) > before:
        return None
    return Planned(
        row.number,
        number,
        valid_from,
        valid_to,
        status,
        ended_on,
        end_reason if status == "ended" else "",
        certified_on,
        child_key,
        child,
        household_key,
        household,
        guardians,
        fee_classes,
    )


def _same_as_first(
    records: list[layout.Record], key_column: str, columns, errors: list[RowError]
) -> set[int]:
    """Rows whose household (or child) columns differ from the first row with the same key:
    each is an error naming the first differing column. Returns their row numbers."""
    first: dict[str, layout.Record] = {}
    bad = set()
    for rec in records:
        key = rec.values.get(key_column, "")
        if not key:
            continue
        if key not in first:
            first[key] = rec
            continue
        for column in columns:
            if rec.values.get(column, "") != first[key].values.get(column, ""):
                errors.append(
                    RowError(
                        rec.number,
                        column,
                        _("Differs from row %(row)s, which has the same %(key)s.")
                        % {"row": first[key].number, "key": key_column},
                    )
                )
                bad.add(rec.number)
                break
    return bad


def check(municipality: Municipality, data: bytes, encoding: str = "") -> Preview:
    """Read and check an exchange file for ``municipality``: the rows to create, and every
    error by row and column (row 1 is the header). Writes nothing."""
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        text, used = layout.decode(data, encoding)
        header, records = layout.read(text)
    except layout.Unreadable as unreadable:
        messages = {
            "nul": _("The file holds binary data: it is not a CSV file."),
            "encoding": _(
                "The file cannot be read as %(encoding)s (byte %(at)s). Choose the other "
                "encoding, or save the file as UTF-8 or Shift_JIS."
            )
            % {"encoding": _encoding_label(encoding), "at": unreadable.detail},
            "csv": _("The quoting is broken near line %(line)s: a quote is not closed.")
            % {"line": unreadable.detail},
        }
        return Preview(encoding, errors=[RowError(1, "", messages[unreadable.code])], sha256=sha256)
    preview = Preview(used, sha256=sha256)
    errors = preview.errors
    missing = [c for c in layout.COLUMNS if c not in header]
    unknown = [c for c in header if c not in layout.COLUMNS]
    duplicated = sorted(c for c, n in Counter(header).items() if n > 1)
    if missing:
        errors.append(
            RowError(1, "", _("Columns missing: %(names)s.") % {"names": ", ".join(missing)})
        )
    if unknown:
        errors.append(
            RowError(1, "", _("Unknown columns: %(names)s.") % {"names": ", ".join(unknown)})
        )
    if duplicated:
        errors.append(
            RowError(1, "", _("Columns named twice: %(names)s.") % {"names": ", ".join(duplicated)})
        )
    if errors:
        return preview
    if not records:
        errors.append(RowError(1, "", _("The file has no rows below its header.")))
        return preview
    for rec in records:
        if "\x00extra" in rec.values:
            errors.append(
                RowError(rec.number, "", _("This row has more cells than the header has columns."))
            )
    inconsistent = _same_as_first(records, "household_key", layout.HOUSEHOLD_WIDE, errors)
    inconsistent |= _same_as_first(
        records, "child_key", (*layout.CHILD_COLUMNS[1:], "household_key"), errors
    )
    numbers: dict[str, int] = {}
    twice: set[int] = set()
    for rec in records:
        number = rec.values.get("certificate_number", "")
        if number and number in numbers:
            errors.append(
                RowError(
                    rec.number,
                    "certificate_number",
                    _("The same certificate number is on row %(row)s.") % {"row": numbers[number]},
                )
            )
            twice.add(rec.number)
        elif number:
            numbers[number] = rec.number
    used = set(
        Certification.unscoped.filter(
            municipality=municipality, number__in=list(numbers)
        ).values_list("number", flat=True)
    )
    for number in sorted(used):
        errors.append(
            RowError(
                numbers[number],
                "certificate_number",
                _("The certificate number %(number)s is already used in this municipality.")
                % {"number": number},
            )
        )
    active: dict[str, int] = {}
    for rec in records:
        planned = _check_row(_Row(rec, errors), municipality)
        refused = inconsistent | twice | {numbers[n] for n in used}
        if planned is None or rec.number in refused or "\x00extra" in rec.values:
            continue
        if planned.status == "active":
            if planned.child_key in active:
                errors.append(
                    RowError(
                        rec.number,
                        "status",
                        _("This child already has an active certification on row %(row)s.")
                        % {"row": active[planned.child_key]},
                    )
                )
                continue
            active[planned.child_key] = rec.number
        preview.rows.append(planned)
    errors.sort(
        key=lambda e: (e.row, layout.COLUMNS.index(e.column) if e.column in layout.COLUMNS else -1)
    )
    return preview


def _encoding_label(encoding: str) -> str:
    return {layout.UTF8: "UTF-8", layout.CP932: "Shift_JIS"}.get(encoding, _("UTF-8 or Shift_JIS"))


# --- import: the upload, its preview and the import itself ------------------------------------


def upload(user, uploaded, encoding: str = "") -> ExchangeUpload:
    """Keep an uploaded exchange file for its preview: scanned and size-limited by
    ``tsuen.files`` (:class:`tsuen.files.services.UploadRefused`), encrypted, for a short
    time."""
    municipality = ward_of(user)
    if encoding not in ("", *layout.ENCODINGS):
        raise ExchangeRefused(_("Choose UTF-8 or Shift_JIS."))
    purge_expired()
    owner = Owner(municipality_id=municipality.pk)
    checked = check_upload(user, uploaded, purpose=Purpose.EXCHANGE_IMPORT, owner=owner)
    now = clock.now()
    with transaction.atomic():
        stored = store_upload(user, checked, purpose=Purpose.EXCHANGE_IMPORT, owner=owner)
        return ExchangeUpload.objects.create(
            token=secrets.token_urlsafe(24),
            municipality=municipality,
            owner=user,
            file=stored,
            encoding=encoding,
            created_at=now,
            expires_at=now + upload_ttl(),
        )


def _upload_for(user, token: str, *, lock: bool = False) -> ExchangeUpload:
    queryset = ExchangeUpload.objects.select_related("file", "municipality")
    if lock:
        queryset = queryset.select_for_update(of=("self",))
    found = get_or_404(user, Action.EXCHANGE_IMPORT, queryset, token=token)
    if found.expires_at <= clock.now():
        raise Http404
    return found


def _drop_if_expired(user, token: str) -> None:
    """An expired upload is deleted when reached (in a transaction of its own, so that the
    404 that follows does not roll the deletion back)."""
    with transaction.atomic():
        found = get_or_404(user, Action.EXCHANGE_IMPORT, ExchangeUpload.objects.all(), token=token)
        expired = found.expires_at <= clock.now()
        if expired:
            _delete(found)
    if expired:
        raise Http404


def _delete(found: ExchangeUpload) -> None:
    record("delete", found.file, fields=["original_name"])
    StoredFile.objects.filter(pk=found.file_id).delete()  # its blob and upload row cascade


def preview(user, token: str, encoding: str | None = None) -> tuple[ExchangeUpload, Preview]:
    """The uploaded file's rows to create and its errors (the uploader only; 404 otherwise or
    once expired). ``encoding`` changes the encoding chosen for it. The reading is audited."""
    _drop_if_expired(user, token)
    with transaction.atomic():
        found = _upload_for(user, token, lock=encoding is not None)
        if encoding is not None and encoding in ("", *layout.ENCODINGS):
            found.encoding = encoding
            found.save(update_fields=["encoding"])
        result = check(found.municipality, blobs.read(found.file), found.encoding)
        record("read", found.file, fields=["original_name"])
    return found, result


@dataclass(frozen=True)
class Imported:
    certifications: int
    children: int
    households: int
    guardians: int
    fee_classes: int


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def commit(user, token: str, *, confirm_token: str | None) -> Imported:
    """Create every row of the uploaded file, or nothing: the preview is recomputed under the
    ward's lock and must have no error and the token confirmed. The file is deleted."""
    _drop_if_expired(user, token)
    with transaction.atomic():
        found = _upload_for(user, token, lock=True)
        # One import or certification at a time per ward (the certify service's serial lock).
        municipality = Municipality.objects.select_for_update().get(pk=found.municipality_id)
        result = check(municipality, blobs.read(found.file), found.encoding)
        if result.errors:
            raise ExchangeRefused(
                _("The file has errors: correct them and upload it again. Nothing was imported.")
            )
        confirm.require(confirm_token, result.token)
        now = clock.now()
        households: dict[str, Household] = {}
        children: dict[str, Child] = {}
        made_guardians, made_fees, made_certs = [], [], []
        for planned in result.rows:
            household = households.get(planned.household_key)
            if household is None:
                household = Household.objects.create(municipality=municipality, **planned.household)
                households[planned.household_key] = household
                for n, values in enumerate(planned.guardians):
                    made_guardians.append(
                        Guardian.objects.create(household=household, is_primary=n == 0, **values)
                    )
                for fee in planned.fee_classes:
                    made_fees.append(
                        HouseholdFeeClass.objects.create(
                            household=household, verified_by=user, verified_at=now, **fee
                        )
                    )
            child = children.get(planned.child_key)
            if child is None:
                child = Child.objects.create(household=household, **planned.child)
                children[planned.child_key] = child
            certification = Certification.objects.create(
                municipality=municipality,
                child=child,
                number=planned.number,
                valid_from=planned.valid_from,
                valid_to=planned.valid_to,
                status=planned.status,
                certified_at=_at(planned.certified_on),
                certified_by=user,
                ended_on=planned.ended_on,
                end_reason=planned.end_reason,
            )
            CertificationStatusChange.objects.create(
                certification=certification,
                to_status=CertificationStatus.ACTIVE,
                at=_at(planned.certified_on),
                by=user,
                note="",
            )
            if planned.status == CertificationStatus.ENDED:
                CertificationStatusChange.objects.create(
                    certification=certification,
                    to_status=CertificationStatus.ENDED,
                    at=_at(planned.ended_on),
                    by=user,
                    note="",
                )
            made_certs.append(certification)
        record_many(
            "create",
            list(households.values()),
            fields=HOUSEHOLD_FIELDS,
            subjects=lambda h: [c for c in children.values() if c.household_id == h.pk],
        )
        record_many("create", made_guardians, fields=GUARDIAN_AUDIT)
        record_many(
            "create",
            made_fees,
            fields=FEE_CLASS_AUDIT,
            subjects=lambda f: [c for c in children.values() if c.household_id == f.household_id],
        )
        record_many("create", list(children.values()), fields=CHILD_AUDIT)
        record_many("create", made_certs, fields=CERTIFICATION_AUDIT, document_sha256=result.sha256)
        # The ward's own systems learn of them as of any certification issued here.
        changes.note(made_certs, ChangeKind.CERTIFIED)
        for certification in made_certs:
            outbox.certification_event(certification, "issued")
        _delete(found)
    return Imported(
        len(made_certs), len(children), len(households), len(made_guardians), len(made_fees)
    )


def discard(user, token: str) -> None:
    """Delete an uploaded file without importing it (its uploader only)."""
    _drop_if_expired(user, token)
    with transaction.atomic():
        _delete(_upload_for(user, token, lock=True))


def purge_expired(now: dt.datetime | None = None) -> int:
    """Delete every uploaded exchange file past its time (any ward); returns how many."""
    expired = ExchangeUpload.unscoped.filter(expires_at__lte=now or clock.now())
    with transaction.atomic():
        files = list(StoredFile.unscoped.filter(pk__in=expired.values("file_id")))
        record_many("delete", files, fields=["original_name"])
        StoredFile.unscoped.filter(pk__in=[f.pk for f in files]).delete()
    return len(files)
