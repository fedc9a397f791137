"""Applying for certification (乳児等支援給付認定) and deciding on it.

Every operation takes the acting user, authorizes through ``tsuen.authz.policy``, works in one
transaction, records an audit event and queues its notice on commit. The family's side:
:func:`start`, :func:`save_draft`, :func:`submit`, :func:`application_for`,
:func:`applications_for`, :func:`pdf_for`. The municipality's side (reviewer or
administrator of the application's municipality): :func:`request_correction`, :func:`reject`,
:func:`certify`.

What the applicant types is kept in ``Application.entries`` (see :data:`GUARDIAN_FIELDS`,
:data:`ADDRESS_FIELDS`, :data:`CHILD_FIELDS`): a draft holds it half-filled; :func:`submit`
checks all of it (:func:`check_entries`, the business rules live here, not only in the form)
and writes the household, guardian and child rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tsuen import rules
from tsuen.accounts.models import Role
from tsuen.audit import record, record_many
from tsuen.authz.policy import Action, allows, filter_allowed, get_or_404, require
from tsuen.certification import changes
from tsuen.certification.models import (
    WAITING,
    Application,
    ApplicationChild,
    ApplicationStatus,
    ApplicationStatusChange,
    Certification,
    CertificationStatus,
    CertificationStatusChange,
    ChangeKind,
)
from tsuen.consent.services import require_consent
from tsuen.core import clock, confirm, dates, postal
from tsuen.core.kana import normalise_kana
from tsuen.exports.services import Sealed, seal
from tsuen.families.models import Child, FeeClass, Guardian, Household, HouseholdFeeClass, Sex
from tsuen.files.models import Purpose, StoredFile
from tsuen.files.services import CheckedUpload, Owner, check_upload, store_upload
from tsuen.municipalities.models import Municipality, rules_for
from tsuen.notices.kinds import Notice
from tsuen.notices.services import notify
from tsuen.webhooks import outbox

GUARDIAN_FIELDS = (
    "family_name",
    "given_name",
    "family_name_kana",
    "given_name_kana",
    "birth_date",
    "sex",
    "relation",
    "phone",
    "email",
    "workplace",
)
ADDRESS_FIELDS = ("postal_code", "prefecture", "city", "address_line")
CHILD_FIELDS = (
    "family_name",
    "given_name",
    "family_name_kana",
    "given_name_kana",
    "birth_date",
    "sex",
    "medical_care",
    "disability",
    "declares_no_excluded_enrolment",
)
CHILD_FLAGS = ("medical_care", "disability", "declares_no_excluded_enrolment")
OPTIONAL_GUARDIAN_FIELDS = ("workplace",)
#: Fields of the application named in audit events.
ENTRY_FIELDS = ("entries", "declared_fee_class", "fee_evidence")
READ_FIELDS = ("status", "entries", "declared_fee_class", "message_to_applicant", "fee_evidence")


class ApplicationInvalid(ValidationError):
    """The application cannot take this step; ``messages`` say why, in the user's language."""


# --- entries: the applicant's answers ----------------------------------------------------------


def empty_entries() -> dict:
    return {
        "guardian": dict.fromkeys(GUARDIAN_FIELDS, ""),
        "address": dict.fromkeys(ADDRESS_FIELDS, ""),
        "fee_class": "",
        "children": [],
    }


def empty_child() -> dict:
    return dict.fromkeys(CHILD_FIELDS, "") | dict.fromkeys(CHILD_FLAGS, False)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()[:200]


def tidy_entries(raw: dict) -> dict:
    """Keep only the known keys, as short strings and flags (a draft stores what was typed)."""
    entries = empty_entries()
    for section, names in (("guardian", GUARDIAN_FIELDS), ("address", ADDRESS_FIELDS)):
        given = raw.get(section) or {}
        entries[section] = {name: _text(given.get(name)) for name in names}
    entries["fee_class"] = _text(raw.get("fee_class"))
    for given in raw.get("children") or []:
        child = {name: _text(given.get(name)) for name in CHILD_FIELDS if name not in CHILD_FLAGS}
        child |= {flag: bool(given.get(flag)) for flag in CHILD_FLAGS}
        if isinstance(given.get("child_id"), int):
            child["child_id"] = given["child_id"]
        entries["children"].append(child)
    return entries


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def check_entries(
    entries: dict, municipality: Municipality, *, has_evidence: bool, today: dt.date
) -> tuple[dict, list[str]]:
    """Check complete answers for submission: (normalised entries, problems).

    Completeness, readings in katakana, dates, the postal code (prefecture and city filled
    from it when left blank; it must lie in the municipality applied to), evidence for a
    reduced fee class, each child's declaration, and each child's age: a child not yet born
    or past the age limit is refused with the reason.
    """
    entries = tidy_entries(entries)
    problems: list[str] = []
    required = _("%(section)s: “%(field)s” is required.")

    guardian = entries["guardian"]
    section = _("Guardian")
    for name in GUARDIAN_FIELDS:
        if not guardian[name] and name not in OPTIONAL_GUARDIAN_FIELDS:
            problems.append(required % {"section": section, "field": field_label(name)})
    _check_person(guardian, section, today, problems)
    if guardian["email"]:
        try:
            validate_email(guardian["email"])
        except ValidationError:
            problems.append(_("%(section)s: enter a valid email address.") % {"section": section})

    address = entries["address"]
    section = _("Address")
    if address["postal_code"]:
        digits = postal.normalise_code(address["postal_code"])
        if digits is None:
            problems.append(_("Enter the postal code as seven digits, for example 160-0022."))
        else:
            address["postal_code"] = f"{digits[:3]}-{digits[3:]}"
            found = postal.lookup(digits)
            if found is not None:
                address["prefecture"] = address["prefecture"] or found.prefecture
                address["city"] = address["city"] or found.city
                if found.municipality_code != municipality.code:
                    problems.append(
                        _(
                            "The postal code %(code)s is in %(city)s, not in %(municipality)s: "
                            "apply to the municipality where you live."
                        )
                        % {
                            "code": address["postal_code"],
                            "city": found.prefecture + found.city,
                            "municipality": municipality.name,
                        }
                    )
    for name in ADDRESS_FIELDS:
        if not address[name]:
            problems.append(required % {"section": section, "field": field_label(name)})

    if entries["fee_class"] not in FeeClass.values:
        problems.append(_("Choose the household's fee class."))
    elif entries["fee_class"] != FeeClass.NONE and not has_evidence:
        problems.append(
            _("Upload a document that shows the household's fee class (PDF, JPEG or PNG).")
        )

    if not entries["children"]:
        problems.append(_("Add at least one child."))
    policy = rules_for(municipality.pk, today)
    for n, child in enumerate(entries["children"], start=1):
        section = _("Child %(n)d") % {"n": n}
        for name in CHILD_FIELDS:
            if name not in CHILD_FLAGS and not child[name]:
                problems.append(required % {"section": section, "field": field_label(name)})
        if not child["declares_no_excluded_enrolment"]:
            problems.append(
                _(
                    "%(section)s: confirm that the child does not attend a nursery, certified "
                    "centre or other excluded facility."
                )
                % {"section": section}
            )
        birth = _check_person(child, section, today, problems)
        if birth is not None and birth <= today:
            window = rules.eligibility_window(birth, policy)
            if today > window.last_day:
                problems.append(
                    _(
                        "%(section)s: the child has passed the age limit of the programme "
                        "(eligible until %(day)s)."
                    )
                    % {"section": section, "day": dates.date_text(window.last_day)}
                )
    return entries, problems


def _check_person(person: dict, section: str, today: dt.date, problems: list[str]):
    for name in ("family_name_kana", "given_name_kana"):
        if person[name]:
            try:
                person[name] = normalise_kana(person[name])
            except ValidationError as exc:
                problems.append(f"{section}: {field_label(name)}: {exc.messages[0]}")
    if person["sex"] and person["sex"] not in Sex.values:
        problems.append(_("%(section)s: choose the sex.") % {"section": section})
    birth = None
    if person["birth_date"]:
        birth = _date(person["birth_date"])
        if birth is None:
            problems.append(
                _("%(section)s: enter the date of birth as a date.") % {"section": section}
            )
        elif birth > today:
            problems.append(
                _("%(section)s: the date of birth is in the future.") % {"section": section}
            )
    return birth


def field_label(name: str) -> str:
    labels = {
        "family_name": _("Family name"),
        "given_name": _("Given name"),
        "family_name_kana": _("Family name (katakana)"),
        "given_name_kana": _("Given name (katakana)"),
        "birth_date": _("Date of birth"),
        "sex": _("Sex"),
        "relation": _("Relation to the child"),
        "phone": _("Phone"),
        "email": _("Email"),
        "workplace": _("Workplace or school"),
        "postal_code": _("Postal code"),
        "prefecture": _("Prefecture"),
        "city": _("City / ward"),
        "address_line": _("Address"),
    }
    return str(labels.get(name, name))


# --- the family's side -------------------------------------------------------------------------


def municipalities() -> QuerySet[Municipality]:
    """The municipalities one can apply to (every tenant)."""
    return Municipality.objects.order_by("code")


def municipality_for_postal_code(code: str) -> Municipality | None:
    found = postal.lookup(code)
    if found is None:
        return None
    return Municipality.objects.filter(code=found.municipality_code).first()


def start(user, municipality_id: int, *, postal_code: str = "") -> Application:
    """The guardian's open draft for the municipality, made if there is none.

    A guardian who already belongs to a household applies for it (its municipality must be
    this one); a first-time applicant gets a new, still empty household. ``postal_code``
    (optional) prefills the address.
    """
    if not user.is_authenticated or user.role != Role.GUARDIAN:
        raise Http404
    municipality = Municipality.objects.filter(pk=municipality_id).first()
    if municipality is None:
        raise Http404
    existing = _open_draft(user, municipality)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return _new_draft(user, municipality, postal_code)
    except IntegrityError:  # a double submit made the draft meanwhile
        existing = _open_draft(user, municipality)
        if existing is None:
            raise
        return existing


def _open_draft(user, municipality) -> Application | None:
    return Application.objects.filter(
        applicant=user, municipality=municipality, status=ApplicationStatus.DRAFT
    ).first()


def _new_draft(user, municipality: Municipality, postal_code: str) -> Application:
    guardian = Guardian.objects.filter(user=user).select_related("household").first()
    entries = empty_entries()
    entries["guardian"]["email"] = user.email
    if guardian is not None:
        household = guardian.household
        if household.municipality_id != municipality.pk:
            raise ApplicationInvalid(
                _(
                    "Your household is registered with %(registered)s. After a move, apply to "
                    "the new municipality once your registration there is changed."
                )
                % {"registered": household.municipality.name}
            )
        for name in GUARDIAN_FIELDS:
            entries["guardian"][name] = _text(getattr(guardian, name))
        for name in ADDRESS_FIELDS:
            entries["address"][name] = _text(getattr(household, name))
        record("read", guardian, fields=GUARDIAN_FIELDS)
    else:
        household = Household.objects.create(
            municipality=municipality, postal_code="", prefecture="", city="", address_line=""
        )
        record("create", household, fields=[])
    found = postal.lookup(postal_code) if postal_code else None
    if found is not None and found.municipality_code == municipality.code:
        entries["address"] |= {
            "postal_code": found.display_code,
            "prefecture": found.prefecture,
            "city": found.city,
            "address_line": found.town,
        }
    application = Application.objects.create(
        municipality=municipality,
        household=household,
        applicant=user,
        status=ApplicationStatus.DRAFT,
        declared_fee_class="",
        message_to_applicant="",
        entries=entries,
    )
    _history(application, "", ApplicationStatus.DRAFT, user)
    record("create", application, fields=ENTRY_FIELDS)
    return application


def _locked(user, action: Action, application_id: int) -> Application:
    """The application, row-locked for the rest of the transaction (404 when out of reach)."""
    return get_or_404(
        user, action, Application.objects.select_for_update(of=("self",)), pk=application_id
    )


def _evidence_owner(application: Application) -> Owner:
    return Owner(application.municipality_id, household_id=application.household_id)


def _checked_evidence(user, application_id: int, upload) -> CheckedUpload | None:
    """Scan and check an evidence upload before the transaction that stores it (see
    files.services); raises :class:`~tsuen.files.services.UploadRefused`."""
    if upload is None:
        return None
    application = get_or_404(user, Action.APPLICATION_EDIT, Application.objects, pk=application_id)
    require_consent(application.household_id)  # before the scan; checked again when saving
    return check_upload(
        user, upload, purpose=Purpose.FEE_EVIDENCE, owner=_evidence_owner(application)
    )


def _store_evidence(user, application: Application, checked: CheckedUpload) -> StoredFile:
    return store_upload(
        user, checked, purpose=Purpose.FEE_EVIDENCE, owner=_evidence_owner(application)
    )


def save_draft(user, application_id: int, entries: dict, evidence=None) -> Application:
    """Keep the answers as typed, complete or not. An upload is still checked (and refused
    with :class:`~tsuen.files.services.UploadRefused`, saving nothing)."""
    checked = _checked_evidence(user, application_id, evidence)
    with transaction.atomic():
        application = _locked(user, Action.APPLICATION_EDIT, application_id)
        require_consent(application.household_id)
        if checked is not None:
            application.fee_evidence = _store_evidence(user, application, checked)
        application.entries = _keep_child_ids(application.entries, tidy_entries(entries))
        application.declared_fee_class = application.entries["fee_class"]
        application.save()
        record("update", application, fields=ENTRY_FIELDS)
    return application


def _keep_child_ids(before: dict, after: dict) -> dict:
    """Children already written to the family keep their rows (matched by position of the
    ids the page sends back; ids not in the old entries are dropped, so a page cannot point
    an entry at someone else's child)."""
    known = {c.get("child_id") for c in (before or {}).get("children", [])} - {None}
    for child in after["children"]:
        if child.get("child_id") not in known:
            child.pop("child_id", None)
    return after


def submit(user, application_id: int, entries: dict | None = None, evidence=None) -> Application:
    """Check everything and send the application: DRAFT or CORRECTION_REQUESTED -> SUBMITTED.

    ``entries`` (the form's answers) replace the stored ones; ``None`` submits the draft as
    saved. Raises :class:`ApplicationInvalid` (nothing changed) with every problem found.
    """
    checked = _checked_evidence(user, application_id, evidence)
    with transaction.atomic():
        application = _locked(user, Action.APPLICATION_EDIT, application_id)
        require_consent(application.household_id)
        if entries is not None:
            entries = _keep_child_ids(application.entries, tidy_entries(entries))
        else:
            entries = application.entries
        if checked is not None:
            application.fee_evidence = _store_evidence(user, application, checked)
        municipality = application.municipality
        today = clock.today()
        entries, problems = check_entries(
            entries,
            municipality,
            has_evidence=application.fee_evidence_id is not None,
            today=today,
        )
        problems += _applicant_problems(application)
        if problems:
            raise ApplicationInvalid(problems)
        children = _write_family(application, entries)
        application.entries = entries
        application.declared_fee_class = entries["fee_class"]
        _move(application, ApplicationStatus.SUBMITTED, user)
        # The first submission date stays after a correction: the ward's wait (and the family's
        # place in the queue) counts from the day the family first asked.
        application.submitted_at = application.submitted_at or clock.now()
        application.message_to_applicant = ""
        application.save()
        record("update", application, fields=[*ENTRY_FIELDS, "status"], subjects=children)
        _tell_applicant(application, Notice.APPLICATION_RECEIVED)
    return application


def _applicant_problems(application: Application) -> list[str]:
    guardian = Guardian.objects.filter(user_id=application.applicant_id).first()
    if guardian is not None and guardian.household_id != application.household_id:
        return [
            _(
                "Your account already belongs to a household registered with another "
                "municipality. Contact the municipality to change it."
            )
        ]
    return []


def _write_family(application: Application, entries: dict) -> list[Child]:
    """Write the checked answers to the household, the applicant's guardian row and the
    children, and link the children to the application. Returns the children."""
    household = application.household
    for name in ADDRESS_FIELDS:
        setattr(household, name, entries["address"][name])
    household.save()
    record("update", household, fields=ADDRESS_FIELDS)

    values = {n: entries["guardian"][n] for n in GUARDIAN_FIELDS}
    values["birth_date"] = _date(values["birth_date"])
    guardian = Guardian.objects.filter(user_id=application.applicant_id).first()
    if guardian is None:
        is_first = not household.guardians.exists()
        guardian = Guardian.objects.create(
            household=household, user_id=application.applicant_id, is_primary=is_first, **values
        )
        record("create", guardian, fields=GUARDIAN_FIELDS)
    else:
        for name, value in values.items():
            setattr(guardian, name, value)
        guardian.save()
        record("update", guardian, fields=GUARDIAN_FIELDS)

    children = []
    existing = {c.pk: c for c in household.children.all()}
    for entry in entries["children"]:
        values = {n: entry[n] for n in CHILD_FIELDS if n != "declares_no_excluded_enrolment"}
        values["birth_date"] = _date(values["birth_date"])
        child = existing.get(entry.get("child_id"))
        if child is None:
            child = Child.objects.create(household=household, **values)
            record("create", child, fields=list(values))
            entry["child_id"] = child.pk
        else:
            for name, value in values.items():
                setattr(child, name, value)
            child.save()
            record("update", child, fields=list(values))
        ApplicationChild.objects.update_or_create(
            application=application,
            child=child,
            defaults={"declares_no_excluded_enrolment": entry["declares_no_excluded_enrolment"]},
        )
        children.append(child)
    _drop_removed_children(application, {c.pk for c in children})
    return children


def _drop_removed_children(application: Application, kept: set[int]) -> None:
    """A child taken off the application during a correction leaves it; a child row that
    existed only for this application goes too."""
    for entry in application.children.exclude(child_id__in=kept).select_related("child"):
        child = entry.child
        entry.delete()
        if not child.certifications.exists() and not child.application_entries.exists():
            record("delete", child, fields=[])
            child.delete()


def _history(application: Application, from_status: str, to_status: str, by, note: str = ""):
    ApplicationStatusChange.objects.create(
        application=application,
        from_status=from_status,
        to_status=to_status,
        at=clock.now(),
        by=by,
        note=note,
    )


def _move(application: Application, to_status: str, by, note: str = "") -> None:
    _history(application, application.status, to_status, by, note)
    application.status = to_status


@dataclass
class ApplicationPage:
    """What the status page shows."""

    application: Application
    history: list[ApplicationStatusChange]
    certifications: list[Certification]
    fee_evidence: StoredFile | None
    can_edit: bool
    entries: dict = field(default_factory=dict)
    children: list[Child] = field(default_factory=list)

    @property
    def fee_class_label(self) -> str:
        value = self.entries.get("fee_class")
        return FeeClass(value).label if value in FeeClass.values else ""

    @property
    def submitted_on(self) -> dt.date | None:
        at = self.application.submitted_at
        return timezone.localdate(at) if at else None

    @property
    def printed_on(self) -> dt.date:
        return clock.today()

    @property
    def shown(self) -> dict:
        """The answers for display: dates as dates, choices as their labels."""
        return shown_entries(self.entries)


def shown_entries(entries: dict) -> dict:
    def person(values: dict) -> dict:
        sex = values.get("sex")
        return values | {
            "birth_date": _date(values.get("birth_date", "")),
            "sex_label": Sex(sex).label if sex in Sex.values else "",
        }

    entries = tidy_entries(entries)
    return {
        "guardian": person(entries["guardian"]),
        "address": entries["address"],
        "fee_class": entries["fee_class"],
        "children": [person(child) for child in entries["children"]],
    }


def application_for(user, application_id: int) -> ApplicationPage:
    """One application as its family or its municipality's case workers see it."""
    application = get_or_404(
        user,
        Action.APPLICATION_VIEW,
        Application.objects.select_related("municipality", "fee_evidence", "household"),
        pk=application_id,
    )
    children = [e.child for e in application.children.select_related("child").order_by("pk")]
    history = list(application.history.all())
    certifications = list(application.certifications.order_by("number"))
    record("read", application, fields=READ_FIELDS, subjects=children)
    can_edit = application.is_open_for_editing and allows(
        user, Action.APPLICATION_EDIT, application
    )
    return ApplicationPage(
        application=application,
        history=history,
        certifications=certifications,
        fee_evidence=application.fee_evidence,
        can_edit=can_edit,
        entries=tidy_entries(application.entries or {}),
        children=children,
    )


def application_for_editing(user, application_id: int) -> Application:
    application = get_or_404(
        user,
        Action.APPLICATION_EDIT,
        Application.objects.select_related("municipality", "fee_evidence"),
        pk=application_id,
    )
    record("read", application, fields=ENTRY_FIELDS)
    return application


def applications_for(user) -> list[Application]:
    """The applications the user may see, newest first (404 for roles that see none)."""
    require(user, Action.APPLICATION_VIEW, Application)
    applications = list(
        filter_allowed(user, Action.APPLICATION_VIEW, Application.objects.all())
        .select_related("municipality")
        .order_by("-updated_at", "-pk")
    )
    record_many("list", applications, fields=["status", "entries"])
    return applications


def pdf_for(user, application_id: int) -> tuple[str, bytes]:
    """A PDF copy of a submitted application: (file name, bytes)."""
    from tsuen.certification.pdf import render_application

    page = application_for(user, application_id)
    if page.application.status == ApplicationStatus.DRAFT:
        raise Http404
    data = render_application(page)
    record(
        "export",
        page.application,
        fields=READ_FIELDS,
        document_sha256=hashlib.sha256(data).hexdigest(),
    )
    return f"application-{page.application.reference}.pdf", data


# --- the municipality's side -------------------------------------------------------------------


def _tell_applicant(application: Application, kind: str, **context) -> None:
    """Email the applicant about their application (reference, ward, link to its page)."""
    notify(
        kind,
        application.applicant,
        reference=application.reference,
        municipality_name=application.municipality.name,
        path=reverse("certification:detail", args=[application.pk]),
        **context,
    )


def request_correction(staff, application_id: int, message: str) -> Application:
    """Send a submitted application back to the family with what to correct."""
    message = (message or "").strip()
    if not message:
        raise ApplicationInvalid(_("Write what the family needs to correct."))
    with transaction.atomic():
        application = _locked(staff, Action.APPLICATION_REVIEW, application_id)
        if application.status != ApplicationStatus.SUBMITTED:
            raise ApplicationInvalid(
                _("Only a submitted application can be sent back for correction.")
            )
        application.message_to_applicant = message
        _move(application, ApplicationStatus.CORRECTION_REQUESTED, staff, note=message)
        application.save()
        record("update", application, fields=["status", "message_to_applicant"])
        _tell_applicant(application, Notice.CORRECTION_REQUESTED)
    return application


#: The states in which an application can still be rejected.
REJECTABLE = (ApplicationStatus.SUBMITTED, ApplicationStatus.CORRECTION_REQUESTED)


@dataclass(frozen=True)
class DecisionEffects:
    """What certifying or rejecting an application decides: for each child, certified from
    and until (certify) or not (reject). ``token`` is what the confirmation posts back."""

    application: Application
    decision: str  # "certify" or "reject"
    children: tuple[tuple[Child, dt.date | None, dt.date | None], ...]
    token: str


def _decision_effects(application: Application, decision: str) -> DecisionEffects:
    entries = list(application.children.select_related("child").order_by("pk"))
    today = clock.today()
    if decision == "certify":
        policy = rules_for(application.municipality_id, today)
        rows = []
        for entry in entries:
            window = rules.eligibility_window(entry.child.birth_date, policy)
            rows.append((entry.child, max(today, window.first_day), window.last_day))
    else:
        rows = [(entry.child, None, None) for entry in entries]
    shown = tuple((child.pk, start, end) for child, start, end in rows)
    token = confirm.token(decision, application.pk, application.status, shown)
    return DecisionEffects(application, decision, tuple(rows), token)


def decision_effects(staff, application_id: int, decision: str) -> DecisionEffects:
    """What :func:`certify` or :func:`reject` would decide now (nothing is written)."""
    if decision not in ("certify", "reject"):
        raise Http404
    application = get_or_404(
        staff, Action.APPLICATION_REVIEW, Application.objects.all(), pk=application_id
    )
    effects = _decision_effects(application, decision)
    for child, _start, _end in effects.children:
        record("read", child, fields=("family_name", "given_name", "birth_date"))
    return effects


def reject(
    staff, application_id: int, reason: str, *, confirm_token: str | None = None
) -> Application:
    """Refuse an application (submitted, or waiting for a correction) with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationInvalid(_("Give the reason for the rejection."))
    with transaction.atomic():
        application = _locked(staff, Action.APPLICATION_REVIEW, application_id)
        if application.status not in REJECTABLE:
            raise ApplicationInvalid(_("This application has already been decided."))
        try:
            confirm.require(confirm_token, _decision_effects(application, "reject").token)
        except ValidationError as error:  # shown on the reason field of the page
            raise ApplicationInvalid(error.messages[0], code=error.code) from error
        application.message_to_applicant = reason
        application.decided_at = clock.now()
        _move(application, ApplicationStatus.REJECTED, staff, note=reason)
        application.save()
        record("update", application, fields=["status", "message_to_applicant"])
        _tell_applicant(application, Notice.CERTIFICATION_RESULT, certified=False)
    return application


def certify(
    staff,
    application_id: int,
    numbers: dict[int, str] | None = None,
    *,
    confirm_token: str | None = None,
) -> list[Certification]:
    """Certify every child of a submitted application.

    Each child gets a certificate number unique in the municipality,
    ``<certificate_prefix><fiscal year>-<5-digit serial>`` (the serial is taken under a lock
    on the municipality row). ``numbers`` (child id -> number) keeps a number the ward has
    already given a child (e.g. on a paper certificate): it must have the municipality's
    format and not be used yet. Each certification is valid from the later of today and the
    child's first eligible day to the last eligible day under the municipality's policy. The
    household's declared fee class becomes its verified fee class from today. All children or
    none.
    """
    with transaction.atomic():
        application = _locked(staff, Action.APPLICATION_REVIEW, application_id)
        if application.status != ApplicationStatus.SUBMITTED:
            raise ApplicationInvalid(_("Only a submitted application can be certified."))
        # Refused unless the effects shown (decision_effects) were confirmed and still hold.
        confirm.require(confirm_token, _decision_effects(application, "certify").token)
        now, today = clock.now(), clock.today()
        policy = rules_for(application.municipality_id, today)
        # The serial lock: one certifier at a time per municipality.
        municipality = Municipality.objects.select_for_update().get(pk=application.municipality_id)
        entries = list(application.children.select_related("child").order_by("pk"))
        already = set(
            Certification.objects.filter(
                child_id__in=[e.child_id for e in entries], status=CertificationStatus.ACTIVE
            ).values_list("child_id", flat=True)
        )
        problems, windows = [], []
        for entry in entries:
            child = entry.child
            window = rules.eligibility_window(child.birth_date, policy)
            valid_from = max(today, window.first_day)
            if window.last_day < valid_from:
                problems.append(
                    _("%(name)s has passed the age limit (eligible until %(day)s).")
                    % {"name": child.given_name, "day": dates.date_text(window.last_day)}
                )
            if child.pk in already:
                problems.append(
                    _("%(name)s already holds an active certification.")
                    % {"name": child.given_name}
                )
            windows.append((valid_from, window.last_day))
        if not entries:
            problems.append(_("The application names no child."))
        typed = {e.child_id: (numbers or {}).get(e.child_id, "").strip() for e in entries}
        given = {child_id: number for child_id, number in typed.items() if number}
        problems += _number_problems(municipality, given, rules.fiscal_year_of(today))
        if problems:
            raise ApplicationInvalid(problems)

        fiscal_year = rules.fiscal_year_of(today)
        serial = _next_serial(municipality, fiscal_year)
        taken = set(given.values())
        certifications = []
        for entry, (valid_from, valid_to) in zip(entries, windows, strict=True):
            number = given.get(entry.child_id)
            if number is None:
                while (
                    rules.format_certificate_number(
                        municipality.certificate_prefix, fiscal_year, serial
                    )
                    in taken
                ):
                    serial += 1
                number = rules.format_certificate_number(
                    municipality.certificate_prefix, fiscal_year, serial
                )
                serial += 1
            certification = Certification.objects.create(
                municipality=municipality,
                child=entry.child,
                application=application,
                number=number,
                valid_from=valid_from,
                valid_to=valid_to,
                status=CertificationStatus.ACTIVE,
                certified_at=now,
                certified_by=staff,
            )
            CertificationStatusChange.objects.create(
                certification=certification,
                to_status=CertificationStatus.ACTIVE,
                at=now,
                by=staff,
                note="",
            )
            record("create", certification, fields=["number", "valid_from", "valid_to"])
            outbox.certification_event(certification, "issued")
            certifications.append(certification)
        changes.note(certifications, ChangeKind.CERTIFIED)
        _verify_fee_class(application, staff, today, now)
        application.decided_at = now
        application.message_to_applicant = ""
        _move(application, ApplicationStatus.CERTIFIED, staff)
        application.save()
        record("update", application, fields=["status"])
        _tell_applicant(
            application,
            Notice.CERTIFICATION_RESULT,
            certified=True,
            certificates=[
                {"number": c.number, "valid_from": c.valid_from, "valid_to": c.valid_to}
                for c in certifications
            ],
        )
    return certifications


def _number_problems(
    municipality: Municipality, given: dict[int, str], fiscal_year: int
) -> list[str]:
    """Why numbers the ward typed cannot be used: a wrong format, another fiscal year than the
    decision's (``rules.certificate_number_fault``), used twice in the application, or already
    used in the municipality."""
    problems = []
    prefix = municipality.certificate_prefix
    example = rules.format_certificate_number(prefix, fiscal_year, 1)
    well_formed = []
    for number in sorted(set(given.values())):
        fault = rules.certificate_number_fault(number, prefix, fiscal_year)
        if fault == rules.certificates.FAULT_FISCAL_YEAR:
            problems.append(
                _(
                    "“%(number)s” names fiscal year %(named)s, but this certification is decided "
                    "in fiscal year %(year)s (write it like %(example)s)."
                )
                % {
                    "number": number,
                    "named": rules.parse_certificate_number(number, prefix).fiscal_year,
                    "year": fiscal_year,
                    "example": example,
                }
            )
        elif fault is not None:
            problems.append(
                _(
                    "“%(number)s” is not a certificate number of this municipality "
                    "(write it like %(example)s)."
                )
                % {"number": number, "example": example}
            )
        elif list(given.values()).count(number) > 1:
            problems.append(
                _("The certificate number %(number)s is given to two children.")
                % {"number": number}
            )
        else:
            well_formed.append(number)
    used = Certification.unscoped.filter(
        municipality=municipality, number__in=well_formed
    ).values_list("number", flat=True)
    for number in sorted(used):
        problems.append(
            _("The certificate number %(number)s is already used in this municipality.")
            % {"number": number}
        )
    return problems


def _next_serial(municipality: Municipality, fiscal_year: int) -> int:
    """One more than the year's highest serial (serials are zero-padded to five digits, so
    the highest number sorts last)."""
    prefix = f"{municipality.certificate_prefix}{fiscal_year}-"
    highest = (
        Certification.unscoped.filter(
            municipality=municipality, number__regex=rf"^{re.escape(prefix)}[0-9]{{5}}$"
        )
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return int(highest[len(prefix) :]) + 1 if highest else 1


def _verify_fee_class(application: Application, staff, today: dt.date, now: dt.datetime):
    """The declared fee class becomes the household's verified class from today: an open row
    that started earlier is closed yesterday, rows from today on are replaced; every change is
    audited. (Billing derives the support-needed adder from the class of each visit's day, so
    the household's own support-needed designation is left as it is.)"""
    household = application.household
    children = list(household.children.all())
    fee_class = application.declared_fee_class or FeeClass.NONE
    for earlier in household.fee_classes.filter(valid_to__isnull=True, valid_from__lt=today):
        earlier.valid_to = today - dt.timedelta(days=1)
        earlier.save(update_fields=["valid_to"])
        record("update", earlier, fields=["valid_to"], subjects=children)
    for replaced in household.fee_classes.filter(valid_from__gte=today):
        record("delete", replaced, fields=["fee_class", "valid_from"], subjects=children)
        replaced.delete()
    current = HouseholdFeeClass.objects.create(
        household=household,
        fee_class=fee_class,
        valid_from=today,
        verified_by=staff,
        verified_at=now,
    )
    record("create", current, fields=["fee_class", "valid_from"], subjects=children)
    changes.note_fee_class(household)


# --- the municipality's desk: the review queue, one application, the certification notice ------

QUEUE_PAGE_SIZE = 50


@dataclass(frozen=True)
class QueueFilters:
    status: str = ""
    submitted_from: dt.date | None = None
    submitted_to: dt.date | None = None
    kana: str = ""


def may_review(staff) -> None:
    """404 unless ``staff`` reviews applications (the queue's reviewers and administrators)."""
    require(staff, Action.APPLICATION_REVIEW, Application)


def review_queue(staff, filters: QueueFilters, page: int | str = 1):
    """The applications waiting for the staff member's ward, oldest submission first.

    Reviewers and administrators of the ward only (404 for everyone else). A constant number
    of queries whatever the number of applications. Returns a Django ``Page`` whose rows have
    ``queue_children`` (the named children, prefetched).
    """
    from django.core.paginator import Paginator
    from django.db.models import Max, Prefetch, Q

    may_review(staff)
    statuses = [filters.status] if filters.status in WAITING else list(WAITING)
    applications = filter_allowed(
        staff, Action.APPLICATION_REVIEW, Application.objects.filter(status__in=statuses)
    )
    if filters.submitted_from:
        applications = applications.filter(submitted_at__date__gte=filters.submitted_from)
    if filters.submitted_to:
        applications = applications.filter(submitted_at__date__lte=filters.submitted_to)
    if filters.kana:
        try:
            kana = normalise_kana(filters.kana).replace("\u3000", "")
        except ValidationError:
            kana = filters.kana.strip()
        matching = ApplicationChild.objects.filter(
            Q(child__family_name_kana__contains=kana) | Q(child__given_name_kana__contains=kana)
        ).values("application_id")
        applications = applications.filter(pk__in=matching)
    applications = (
        applications.select_related("municipality", "applicant__guardian")
        .annotate(
            last_submitted_at=Max(
                "history__at", filter=Q(history__to_status=ApplicationStatus.SUBMITTED)
            )
        )
        .prefetch_related(
            Prefetch(
                "children",
                queryset=ApplicationChild.objects.select_related("child").order_by("pk"),
                to_attr="queue_children",
            )
        )
    )
    paginator = Paginator(applications.order_by("submitted_at", "pk"), QUEUE_PAGE_SIZE)
    result = paginator.get_page(page)
    rows = list(result.object_list)
    result.object_list = rows
    today = clock.today()
    for row in rows:
        row.applicant_name = _applicant_name(row)
        first = timezone.localdate(row.submitted_at) if row.submitted_at else None
        last = timezone.localdate(row.last_submitted_at) if row.last_submitted_at else None
        row.days_waiting = (today - first).days if first else None
        row.resubmitted_on = last if first and last and last > first else None
    record_many("list", [entry for row in rows for entry in row.queue_children], fields=["child"])
    guardians = [row.applicant.guardian for row in rows if _guardian_of(row.applicant)]
    record_many("list", guardians, fields=["family_name", "given_name"])
    return result


def _guardian_of(user) -> Guardian | None:
    try:
        return user.guardian
    except Guardian.DoesNotExist:
        return None


def _applicant_name(application: Application) -> str:
    """Who applied: the applicant's guardian row, else the name typed on the application."""
    guardian = _guardian_of(application.applicant)
    if guardian is not None:
        return guardian.full_name
    typed = (application.entries or {}).get("guardian") or {}
    return " ".join(p for p in (typed.get("family_name"), typed.get("given_name")) if p)


@dataclass
class ReviewPage:
    """What the ward's application page shows."""

    page: ApplicationPage
    household: Household
    guardians: list[Guardian]
    children: list[Child]
    can_decide: bool
    #: The shape of a certificate number decided today (the certify form's example and pattern).
    number_example: str = ""
    number_pattern: str = ""


def review_page(staff, application_id: int) -> ReviewPage:
    """One application as the reviewer sees it: household, guardians, children, the declared
    fee class with its evidence, the history (reviewers and administrators of its ward)."""
    get_or_404(staff, Action.APPLICATION_REVIEW, Application.objects.all(), pk=application_id)
    page = application_for(staff, application_id)
    household = page.application.household
    guardians = list(household.guardians.order_by("pk"))
    record("read", household, fields=["postal_code", "prefecture", "city", "address_line"])
    record_many("read", guardians, fields=GUARDIAN_FIELDS)
    prefix = page.application.municipality.certificate_prefix
    fiscal_year = rules.fiscal_year_of(clock.today())
    return ReviewPage(
        page=page,
        household=household,
        guardians=guardians,
        children=page.children,
        can_decide=page.application.status in WAITING,
        number_example=rules.format_certificate_number(prefix, fiscal_year, 1),
        number_pattern=rules.certificate_number_pattern(prefix, fiscal_year),
    )


NOTICE_FIELDS = ["number", "valid_from", "valid_to", "ended_on", "end_reason"]
#: What a notice prints about its addressee (the household's first guardian at its address).
ADDRESSEE_FIELDS = ["postal_code", "prefecture", "city", "address_line"]


def _record_addressee(household: Household) -> None:
    record("read", household, fields=ADDRESSEE_FIELDS)
    guardian = household.guardians.order_by("pk").first()
    if guardian is not None:
        record("read", guardian, fields=["family_name", "given_name"])


def _notice_certification(user, action: Action, certification_id: int) -> Certification:
    return get_or_404(
        user,
        action,
        Certification.objects.select_related("municipality", "child", "child__household"),
        pk=certification_id,
    )


def _notice_file_name(certification: Certification) -> str:
    from tsuen.certification.notice import ENDED, certification_kind

    kind = "end" if certification_kind(certification) == ENDED else "notice"
    return f"certification-{kind}-{certification.number}.pdf"


def certification_notice_pdf(user, certification_id: int) -> tuple[str, bytes]:
    """The certification's notice as a PDF: (file name, bytes), for the child's own family
    (404 otherwise): the 認定通知書, or the 認定終了通知書 once the ward has ended it. The
    family's own document about itself, so not a protected export (docs/exports.md); the
    ward's staff use :func:`certification_notice_export`."""
    from tsuen.certification.notice import render_notice

    certification = _notice_certification(user, Action.CERTIFICATION_NOTICE, certification_id)
    data = render_notice(certification, clock.today())
    _record_addressee(certification.child.household)
    record(
        "export",
        certification,
        fields=NOTICE_FIELDS,
        document_sha256=hashlib.sha256(data).hexdigest(),
    )
    return _notice_file_name(certification), data


def notice_for_export(user, certification_id: int) -> Certification:
    """404 unless ``user`` (the ward's case workers) may export the notice."""
    return _notice_certification(user, Action.CERTIFICATION_NOTICE_EXPORT, certification_id)


def certification_notice_export(user, certification_id: int, *, request_id: str) -> Sealed:
    """The certification's notice (認定通知書 or 認定終了通知書) for the ward's case workers,
    sealed as a protected export (AES-256 ZIP) for ``user``; audited with the ZIP's SHA-256.
    The file inside is named by the internal id: ZIP directories are readable without the
    password."""
    from tsuen.certification.notice import ENDED, certification_kind, render_notice

    certification = notice_for_export(user, certification_id)
    kind = "end" if certification_kind(certification) == ENDED else "notice"
    sealed = seal(
        user,
        request_id,
        f"certification-{kind}-{certification.pk}.pdf",
        render_notice(certification, clock.today()),
        municipality_id=certification.municipality_id,
        subject_child_ids=[certification.child_id],
    )
    _record_addressee(certification.child.household)
    record("export", certification, fields=NOTICE_FIELDS, document_sha256=sealed.sha256)
    return sealed


REJECTION_FIELDS = ["status", "message_to_applicant", "submitted_at", "decided_at"]


def _rejected(user, action: Action, application_id: int) -> tuple[Application, list[Child]]:
    application = get_or_404(
        user,
        action,
        Application.objects.select_related("municipality", "household").filter(
            status=ApplicationStatus.REJECTED
        ),
        pk=application_id,
    )
    children = [e.child for e in application.children.select_related("child").order_by("pk")]
    return application, children


def rejection_notice_pdf(user, application_id: int) -> tuple[str, bytes]:
    """The 却下通知書 of a rejected application for its family (404 for anyone else, and for an
    application that is not rejected)."""
    from tsuen.certification.notice import render_rejection

    application, children = _rejected(user, Action.CERTIFICATION_NOTICE, application_id)
    data = render_rejection(application, children, clock.today())
    _record_addressee(application.household)
    record(
        "export",
        application,
        fields=REJECTION_FIELDS,
        subjects=children,
        document_sha256=hashlib.sha256(data).hexdigest(),
    )
    return f"rejection-{application.reference}.pdf", data


def rejection_for_export(user, application_id: int) -> Application:
    """404 unless ``user`` (the ward's case workers) may export the rejection notice."""
    return _rejected(user, Action.CERTIFICATION_NOTICE_EXPORT, application_id)[0]


def rejection_notice_export(user, application_id: int, *, request_id: str) -> Sealed:
    """The 却下通知書 for the ward's case workers, as a protected export."""
    from tsuen.certification.notice import render_rejection

    application, children = _rejected(user, Action.CERTIFICATION_NOTICE_EXPORT, application_id)
    sealed = seal(
        user,
        request_id,
        f"rejection-notice-{application.pk}.pdf",
        render_rejection(application, children, clock.today()),
        municipality_id=application.municipality_id,
        subject_child_ids=[c.pk for c in children],
    )
    _record_addressee(application.household)
    record(
        "export", application, fields=REJECTION_FIELDS, subjects=children,
        document_sha256=sealed.sha256,
    )  # fmt: skip
    return sealed
