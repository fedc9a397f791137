"""Disclosure (開示請求): everything tsuen holds about a household, for its guardian.

One function builds the record (:func:`disclosure`), checked by the authorization layer
(``Action.DISCLOSURE_REQUEST``: the household's guardians and a first-time applicant, not proxy
users) and audited as one ``export`` event naming the household's children and guardians. The
JSON file and the PDF are two renderings of the same sections.

What is left out, on purpose (docs/consent.md): the staff's internal notes (an interview's
notes, the reasons staff typed for attendance times, the notes of status changes, a regular-use
request's allocation trace), daily records not yet published to the family, the secret token of
a calendar feed, and the files' contents (their names and dates are listed; each file is opened
through ``files:download``). No other household's data: every query below is narrowed to this
household.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tsuen.audit import record
from tsuen.authz.policy import Action, get_or_404
from tsuen.core import clock
from tsuen.core.dates import date_text, datetime_text, is_japanese
from tsuen.core.wareki import japanese_date, wareki
from tsuen.families.models import Household
from tsuen.families.services import PROFILE_FIELDS

HOUSEHOLD_FIELDS = ("postal_code", "prefecture", "city", "address_line", "support_needed")
#: Labels for fields whose model gives none of its own (a system time, a flag).
LABELS = {
    "created_at": gettext_lazy("created"),
    "submitted_at": gettext_lazy("submitted"),
    "decided_at": gettext_lazy("decided"),
    "granted_at": gettext_lazy("granted"),
    "revoked_at": gettext_lazy("ended"),
    "verified_at": gettext_lazy("verified"),
    "certified_at": gettext_lazy("certified"),
    "requested_at": gettext_lazy("requested"),
    "offered_at": gettext_lazy("offered"),
    "written_at": gettext_lazy("written"),
    "published_at": gettext_lazy("published"),
    "uploaded_at": gettext_lazy("uploaded"),
    "cancelled_at": gettext_lazy("cancelled"),
}
PERSON = ("family_name", "given_name", "family_name_kana", "given_name_kana", "birth_date", "sex")


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    rows: list[list[tuple[str, str, object, str]]]  # per record: (name, label, value, text)


@dataclass(frozen=True)
class Disclosure:
    household: Household
    made_at: dt.datetime
    sections: list[Section]
    #: The paper request this disclosure answers at the ward's desk (a
    #: ``consent.DeskDisclosureRequest``), or None: the guardian's own download.
    desk_request: Model | None = None

    def as_json(self) -> dict:
        desk = {}
        if (r := self.desk_request) is not None:
            desk = {
                "desk_request": {
                    "number": r.number,
                    "received_on": r.received_on.isoformat(),
                    "identity_document": r.identity_document,
                    "requester_relation": r.requester_relation,
                    "produced_at": self.made_at.isoformat(),
                }
            }
        return {
            "household_id": self.household.pk,
            "municipality": self.household.municipality.name,
            "made_at": self.made_at.isoformat(),
            **desk,
            **{
                s.key: [{n: _plain(v) for n, _label, v, _text in row} for row in s.rows]
                for s in self.sections
            },
        }

    def json_bytes(self) -> bytes:
        return json.dumps(self.as_json(), ensure_ascii=False, indent=2).encode()

    def pdf_bytes(self) -> bytes:
        """The readable PDF (IPAex, 和暦); at the desk it also names the request it answers."""
        from django.template.loader import render_to_string

        from tsuen.core.pdf import render_pdf

        sections = [
            (
                s.title,
                [[(label, _pdf_text(n, text)) for n, label, _v, text in row] for row in s.rows],
            )
            for s in self.sections
        ]
        context = {"made": self, "sections": sections, "desk": self.desk_request}
        if self.desk_request is not None:
            context["desk_dates"] = {
                "received_on": both_dates(self.desk_request.received_on),
                "produced_on": both_dates(timezone.localdate(self.made_at)),
            }
        return render_pdf(render_to_string("consent/disclosure_pdf.html", context))

    @property
    def file_stem(self) -> str:
        return f"disclosure-{self.household.pk}-{clock.today():%Y%m%d}"


def both_dates(day: dt.date) -> str:
    """The 和暦 date beside the western one, for a document handed over at the desk:
    令和8年12月4日（2026年12月4日）, or 4 Dec 2026 (令和8年12月4日) in English."""
    if is_japanese():
        return f"{wareki(day)}（{japanese_date(day, era=False)}）"
    return f"{date_text(day)} ({wareki(day)})"


def _plain(value):
    """A JSON value: dates in ISO, decimals as text, lists and dicts item by item."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def shown(value) -> str:
    """A value as the PDF prints it: 和暦 dates, yes/no, one item per line."""
    if isinstance(value, dt.datetime):
        return datetime_text(value)
    if isinstance(value, dt.date):
        return date_text(value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "\n".join(shown(v) for v in value)
    if isinstance(value, dict):
        return "\n".join(f"{k}: {shown(v)}" for k, v in value.items())
    return str(value)


def _row(obj: Model, names, **extra) -> list[tuple[str, str, object, str]]:
    """(name, label, value, text) of each field: the JSON keeps the value (codes, ISO dates),
    the PDF prints the text (the choice's label, 和暦 dates)."""
    row = []
    for name in names:
        field = obj._meta.get_field(name)
        value = getattr(obj, name)
        label = str(LABELS.get(name, field.verbose_name))
        if field.choices and value not in (None, ""):
            row.append((name, label, value, str(getattr(obj, f"get_{name}_display")())))
        else:
            row.append((name, label, value, shown(value)))
    for name, (label, value) in extra.items():
        row.append((name, str(label), value, shown(value)))
    return row


def _sections(household: Household) -> list[Section]:
    from tsuen.attendance.models import Attendance, DailyRecord, MorningNote, RecordStatus
    from tsuen.billing.services import price_visits
    from tsuen.booking.models import Booking, RegularUseRequest, WaitlistEntry
    from tsuen.certification.models import Application, Certification
    from tsuen.consent.models import Consent
    from tsuen.facilities.models import Facility, Interview
    from tsuen.files.models import StoredFile

    children = list(household.children.order_by("birth_date", "pk"))
    child_ids = [c.pk for c in children]
    name = {c.pk: c.full_name for c in children}
    child_label = gettext_lazy("child")
    facility_label = gettext_lazy("facility")

    def of_child(child_id):
        return {"child": (child_label, name.get(child_id, ""))}

    sections = [
        Section(
            "household",
            _("Household"),
            [
                _row(
                    household,
                    HOUSEHOLD_FIELDS,
                    municipality=(_("municipality"), household.municipality.name),
                )
            ],
        ),
        Section(
            "fee_classes",
            _("Fee class"),
            [
                _row(r, ("fee_class", "valid_from", "valid_to", "verified_at"))
                for r in household.fee_classes.order_by("valid_from", "pk")
            ],
        ),
        Section(
            "guardians",
            _("Guardians"),
            [
                _row(g, (*PERSON, "relation", "phone", "email", "workplace", "is_primary"))
                for g in household.guardians.order_by("-is_primary", "pk")
            ],
        ),
        Section(
            "proxy_users",
            _("Proxy users"),
            [
                _row(p, ("granted_at", "revoked_at"), email=(_("email"), p.user.email))
                for p in household.proxies.select_related("user").order_by("granted_at", "pk")
            ],
        ),
        Section(
            "children",
            _("Children"),
            [_row(c, PROFILE_FIELDS) for c in children],
        ),
    ]
    contacts, growth = [], []
    for c in children:
        contacts += [
            _row(
                e,
                ("name", "relation", "phone", "email", "birth_date", "priority"),
                **of_child(c.pk),
            )
            for e in c.emergency_contacts.order_by("priority", "pk")
        ]
        growth += [
            _row(g, ("measured_on", "height_cm", "weight_kg"), **of_child(c.pk))
            for g in c.growth_records.order_by("measured_on", "pk")
        ]
    sections += [
        Section("emergency_contacts", _("Emergency contacts"), contacts),
        Section("growth_records", _("Growth"), growth),
        Section(
            "files",
            _("Files"),
            [
                _row(f, ("purpose", "original_name", "uploaded_at"))
                for f in StoredFile.unscoped.filter(household=household).order_by(
                    "uploaded_at", "pk"
                )
            ],
        ),
    ]
    applications = []
    for a in Application.unscoped.filter(household=household).order_by("created_at", "pk"):
        history = [
            f"{datetime_text(h.at)} {h.get_to_status_display()}"
            for h in a.history.order_by("at", "pk")
        ]
        applications.append(
            _row(
                a,
                (
                    "status",
                    "declared_fee_class",
                    "message_to_applicant",
                    "entries",
                    "created_at",
                    "submitted_at",
                    "decided_at",
                ),
                reference=(_("Application number"), a.reference),
                history=(_("Status history"), history),
            )
        )
    sections.append(Section("applications", _("Applications"), applications))
    sections.append(
        Section(
            "certifications",
            _("Certifications"),
            [
                _row(
                    r,
                    (
                        "number",
                        "valid_from",
                        "valid_to",
                        "status",
                        "certified_at",
                        "ended_on",
                        "end_reason",
                    ),
                    **of_child(r.child_id),
                )
                for r in Certification.unscoped.filter(child_id__in=child_ids).order_by(
                    "valid_from", "pk"
                )
            ],
        )
    )
    facilities = dict(
        Facility.unscoped.values_list("pk", "name").filter(
            pk__in=Booking.unscoped.filter(child_id__in=child_ids)
            .values("facility_id")
            .union(Interview.unscoped.filter(child_id__in=child_ids).values("facility_id"))
            .union(RegularUseRequest.unscoped.filter(child_id__in=child_ids).values("facility_id"))
        )
    )

    def at(facility_id):
        return {"facility": (facility_label, facilities.get(facility_id, ""))}

    sections += [
        Section(
            "interviews",
            _("Interviews"),
            [
                _row(
                    i,
                    ("status", "held_minutes", "message_to_family", "requested_at", "decided_at"),
                    **of_child(i.child_id),
                    **at(i.facility_id),
                )
                for i in Interview.unscoped.filter(child_id__in=child_ids).order_by(
                    "requested_at", "pk"
                )
            ],
        ),
        Section(
            "bookings",
            _("Bookings"),
            [
                _row(
                    b,
                    (
                        "date",
                        "starts_at",
                        "ends_at",
                        "kind",
                        "status",
                        "billable_minutes",
                        "created_at",
                        "cancelled_at",
                    ),
                    **of_child(b.child_id),
                    **at(b.facility_id),
                )
                for b in Booking.unscoped.filter(child_id__in=child_ids).order_by("starts_at", "pk")
            ],
        ),
        Section(
            "waitlist",
            _("Waitlist"),
            [
                _row(
                    w,
                    ("starts_at", "ends_at", "status", "created_at", "offered_at"),
                    **of_child(w.child_id),
                )
                for w in WaitlistEntry.unscoped.filter(child_id__in=child_ids).order_by(
                    "created_at", "pk"
                )
            ],
        ),
        Section(
            "regular_use_requests",
            _("Regular use requests"),
            [
                _row(
                    r,
                    (
                        "weekday",
                        "starts_at",
                        "ends_at",
                        "period_from",
                        "period_to",
                        "note",
                        "status",
                        "decline_reason",
                        "created_at",
                        "decided_at",
                    ),
                    **of_child(r.child_id),
                    **at(r.facility_id),
                )
                for r in RegularUseRequest.unscoped.filter(child_id__in=child_ids).order_by(
                    "created_at", "pk"
                )
            ],
        ),
        Section(
            "attendance",
            _("Attendance"),
            [
                _row(
                    r,
                    ("status", "checked_in_at", "checked_out_at", "billable_minutes"),
                    **of_child(r.booking.child_id),
                    date=(_("date"), r.booking.date),
                )
                for r in Attendance.unscoped.filter(booking__child_id__in=child_ids)
                .select_related("booking")
                .order_by("booking__starts_at", "pk")
            ],
        ),
        Section(
            "morning_notes",
            _("Morning notes"),
            [
                _row(
                    n,
                    ("health", "temperature", "pickup_person", "written_at"),
                    **of_child(n.booking.child_id),
                    date=(_("date"), n.booking.date),
                )
                for n in MorningNote.unscoped.filter(booking__child_id__in=child_ids)
                .select_related("booking")
                .order_by("booking__starts_at", "pk")
            ],
        ),
        Section(
            "daily_records",
            _("Daily records"),
            [
                _row(
                    r,
                    ("meals", "nap", "mood", "toileting", "temperature", "notes", "published_at"),
                    **of_child(r.booking.child_id),
                    date=(_("date"), r.booking.date),
                )
                for r in DailyRecord.unscoped.filter(
                    booking__child_id__in=child_ids, status=RecordStatus.PUBLISHED
                )
                .select_related("booking")
                .order_by("booking__starts_at", "pk")
            ],
        ),
    ]
    statements = []
    visited = Attendance.unscoped.filter(
        booking__child_id__in=child_ids, status="present"
    ).values_list("booking__facility_id", "booking__date")
    months = sorted({(f, d.year, d.month) for f, d in visited})
    for facility_id, year, month in months:
        facility = Facility.unscoped.get(pk=facility_id)
        for v in price_visits(facility, year, month, booking__child__household=household):
            statements.append(
                [
                    ("date", _("date"), v.booking.date, shown(v.booking.date)),
                    (
                        "child",
                        str(child_label),
                        name.get(v.booking.child_id, ""),
                        name.get(v.booking.child_id, ""),
                    ),
                    ("facility", str(facility_label), facility.name, facility.name),
                    (
                        "billable_minutes",
                        _("billable minutes"),
                        v.billable_minutes,
                        str(v.billable_minutes),
                    ),
                    ("fee_gross", _("fee (yen)"), v.fee_gross, f"{v.fee_gross:,}"),
                    ("reduction", _("reduction (yen)"), v.reduction, f"{v.reduction:,}"),
                    ("fee_net", _("to pay (yen)"), v.fee_net, f"{v.fee_net:,}"),
                ]
            )
    sections.append(
        Section("fees", _("Fees (each visit, as on the monthly statements)"), statements)
    )
    sections.append(
        Section(
            "consents",
            _("Consents to the purpose notice"),
            [
                _row(c, ("notice_version", "given_at", "withdrawn_at"))
                for c in Consent.unscoped.filter(household=household).order_by("given_at", "pk")
            ],
        )
    )
    return sections


def disclosure(
    user, household_id: int, *, action: Action = Action.DISCLOSURE_REQUEST, desk_request=None
) -> Disclosure:
    """Everything held about the household, for whoever ``action`` lets reach it: its guardian
    (``DISCLOSURE_REQUEST``), or the ward's desk answering ``desk_request``
    (``DESK_DISCLOSURE``); 404 for anyone else. The caller renders it and then calls
    :func:`audit` with the file made."""
    household = get_or_404(
        user, action, Household.objects.select_related("municipality"), pk=household_id
    )
    return Disclosure(household, clock.now(), _sections(household), desk_request)


def audit(made: Disclosure, data: bytes) -> None:
    """One ``export`` event on the household naming its children and guardians, with the
    file's SHA-256."""
    household = made.household
    subjects = [*household.children.all(), *household.guardians.all()]
    record(
        "export",
        household,
        fields=HOUSEHOLD_FIELDS,
        subjects=subjects,
        document_sha256=hashlib.sha256(data).hexdigest(),
    )


def disclosure_json(user, household_id: int) -> tuple[str, bytes]:
    made = disclosure(user, household_id)
    data = made.json_bytes()
    audit(made, data)
    return f"{made.file_stem}.json", data


def _pdf_text(name: str, text: str) -> str:
    # The answers as declared are in the JSON; on paper the application copy prints them
    # readably (and the household, guardian and children sections hold them as kept).
    if name == "entries":
        return _("As declared: see the copy of the application (PDF) on the application's page.")
    return text


def disclosure_pdf(user, household_id: int) -> tuple[str, bytes]:
    made = disclosure(user, household_id)
    data = made.pdf_bytes()
    audit(made, data)
    return f"{made.file_stem}.pdf", data
