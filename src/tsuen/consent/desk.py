"""Disclosure (開示請求) at the ward's desk: a guardian without a smartphone brings the paper
form to the ward office; one of the ward's officials finds the household, records the request
(when it was received, how the requester's identity was checked, who the requester is) and
produces the same disclosure the guardian would download (:mod:`tsuen.consent.disclosure`),
as a protected export (AES-256 ZIP with the PDF and the JSON, password shown once).

Who: ``Action.DESK_DISCLOSURE``, the reviewer and the administrator of the household's ward
(404 for everyone else, another ward's household included). Every step is audited: the search
lists (``list``), the request's and household's pages (``read``), recording (``create``), the
production (``export`` of each file on the household, as the guardian's download, and
``update`` of the request with the ZIP's SHA-256); the download of the ZIP is the protected
export's own ``download`` event.

Refused, nothing written: no identity check recorded, a date received in the future or past
the time limit, a second request for a household that has one not yet produced, and a second
production of the same request (a request is answered once; handing over another copy is a
new request). The same form sent twice records one request.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from tsuen.audit import record, record_many
from tsuen.authz.policy import Action, filter_allowed, get_or_404, require
from tsuen.consent import disclosure
from tsuen.consent.models import DeskDisclosureRequest, IdentityDocument, RequesterRelation
from tsuen.core import clock
from tsuen.core.dates import date_text, datetime_text
from tsuen.core.kana import normalise_kana
from tsuen.exports.services import Sealed, seal
from tsuen.families.models import Household
from tsuen.families.services import LIST_FIELDS

#: What the official records of the paper request.
REQUEST_FIELDS = ("received_on", "identity_document", "requester_relation", "note")
#: What the production adds to the request.
PRODUCTION_FIELDS = ("produced_at", "produced_by", "pdf_sha256", "json_sha256")
#: What the list of requests shows of each (no person's name: the household's number).
LIST_REQUEST_FIELDS = ("received_on", "requester_relation", "produced_at", "pdf_sha256")
GUARDIAN_NAME_FIELDS = ("family_name", "given_name")
#: The public bodies' time limit for answering a disclosure request: 30 days, extendable by 30
#: (個人情報保護法第83条). A request received longer ago than both is a typing mistake, or
#: late beyond anything the desk may still answer without a decision of its own.
TIME_LIMIT_DAYS = 60
MAX_SEARCH_WORDS = 5
MAX_HITS = 20
PAGE_SIZE = 50
NOTE_MAX_CHARS = 500


class DeskInvalid(ValidationError):
    """A desk step that cannot be done now, or bad input; nothing was written."""


# --- the rules, pure --------------------------------------------------------------------------


def request_problems(
    *,
    received_on: dt.date | None,
    identity_document: str,
    requester_relation: str,
    note: str,
    today: dt.date,
) -> dict[str, str]:
    """What is wrong with a paper request as recorded ({field: message}; empty: fine)."""
    problems: dict[str, str] = {}
    if received_on is None:
        problems["received_on"] = _("Enter the day the request was received.")
    elif received_on > today:
        problems["received_on"] = _("The day the request was received cannot be in the future.")
    elif (today - received_on).days > TIME_LIMIT_DAYS:
        problems["received_on"] = _(
            "A request received more than %(days)d days ago is past the time limit for an "
            "answer (30 days, extendable by 30). Check the date on the form."
        ) % {"days": TIME_LIMIT_DAYS}
    if identity_document not in IdentityDocument.values:
        problems["identity_document"] = _(
            "Record how the requester's identity was checked (本人確認書類). Without an identity "
            "check nothing can be disclosed."
        )
    if requester_relation not in RequesterRelation.values:
        problems["requester_relation"] = _("Choose who made the request.")
    if len(note) > NOTE_MAX_CHARS:
        problems["note"] = _("The note is too long (%(max)d characters at most).") % {
            "max": NOTE_MAX_CHARS
        }
    return problems


# --- finding the household --------------------------------------------------------------------


def may_use_desk(user) -> None:
    """404 unless ``user`` is one of the officials of a ward who handle disclosure requests."""
    require(user, Action.DESK_DISCLOSURE, Household)


@dataclass(frozen=True)
class HouseholdHit:
    household: Household
    guardians: list
    children: list


def _word_matches(word: str) -> Q:
    q = Q()
    for person in ("guardians", "children"):
        q |= Q(**{f"{person}__family_name__contains": word})
        q |= Q(**{f"{person}__given_name__contains": word})
    try:
        kana = normalise_kana(word).replace("\u3000", "")
    except ValidationError:
        return q
    for person in ("guardians", "children"):
        q |= Q(**{f"{person}__family_name_kana__contains": kana})
        q |= Q(**{f"{person}__given_name_kana__contains": kana})
    return q


def find_households(user, text: str) -> list[HouseholdHit]:
    """The ward's households whose guardian or child matches every word of ``text`` (a name or
    its reading), at most ``MAX_HITS``; nothing for an empty search (the desk does not list the
    whole ward). The names and birth dates shown are recorded in the audit log."""
    may_use_desk(user)
    words = text.replace("\u3000", " ").split()[:MAX_SEARCH_WORDS]
    if not words:
        return []
    households = filter_allowed(user, Action.DESK_DISCLOSURE, Household.objects.all())
    for word in words:
        households = households.filter(_word_matches(word))
    found = list(households.distinct().order_by("pk")[:MAX_HITS])
    return [_hit(h) for h in found]


def _hit(household: Household, verb: str = "list") -> HouseholdHit:
    guardians = list(household.guardians.order_by("-is_primary", "pk"))
    children = list(household.children.order_by("birth_date", "pk"))
    record_many(verb, guardians, fields=GUARDIAN_NAME_FIELDS)
    record_many(verb, children, fields=LIST_FIELDS)
    return HouseholdHit(household, guardians, children)


def household_for_request(user, household_id: int) -> HouseholdHit:
    """The household a new request is recorded for (404 out of reach), with the names shown."""
    household = get_or_404(
        user,
        Action.DESK_DISCLOSURE,
        Household.objects.select_related("municipality"),
        pk=household_id,
    )
    return _hit(household, "read")


# --- recording the request --------------------------------------------------------------------


def _subjects(household: Household) -> list:
    return [*household.children.all(), *household.guardians.all()]


def open_request(household_id: int) -> DeskDisclosureRequest | None:
    """The household's request recorded and not yet produced, if any."""
    return (
        DeskDisclosureRequest.unscoped.filter(household_id=household_id, produced_at__isnull=True)
        .order_by("pk")
        .first()
    )


def record_request(
    user,
    household_id: int,
    *,
    received_on: dt.date | None,
    identity_document: str,
    requester_relation: str,
    note: str = "",
    submission: str,
) -> DeskDisclosureRequest:
    """Record a paper request for the household. The form's one-time ``submission`` id makes
    sending the same form again (a double click, a reload) return the request it recorded,
    without a second one. Refused (:class:`DeskInvalid`, nothing written) on bad input and
    while the household has a request not yet produced."""
    note = (note or "").strip()
    if not submission or len(submission) > 40:
        raise DeskInvalid(_("The form has expired. Open it again and send it once."))
    with transaction.atomic():
        household = get_or_404(
            user,
            Action.DESK_DISCLOSURE,
            Household.objects.select_for_update(of=("self",)),
            pk=household_id,
        )
        if (done := _recorded(user, household, submission)) is not None:
            return done
        problems = request_problems(
            received_on=received_on,
            identity_document=identity_document,
            requester_relation=requester_relation,
            note=note,
            today=clock.today(),
        )
        if problems:
            raise DeskInvalid(problems)
        if (waiting := open_request(household.pk)) is not None:
            raise DeskInvalid(
                _(
                    "This household already has request %(number)s, received on %(day)s, whose "
                    "files have not been produced yet. Open it and produce them."
                )
                % {"number": waiting.number, "day": date_text(waiting.received_on)},
                code="open_request",
            )
        try:
            with transaction.atomic():
                request = DeskDisclosureRequest.objects.create(
                    household=household,
                    received_on=received_on,
                    identity_document=identity_document,
                    requester_relation=requester_relation,
                    note=note,
                    recorded_by=user,
                    recorded_at=clock.now(),
                    submission=submission,
                )
        except IntegrityError:  # the same form, sent twice at once
            if (done := _recorded(user, household, submission)) is None:
                raise
            return done
        record("create", request, fields=REQUEST_FIELDS, subjects=_subjects(household))
    return request


def _recorded(user, household: Household, submission: str) -> DeskDisclosureRequest | None:
    """The request this form already recorded (the same official, the same household)."""
    done = DeskDisclosureRequest.unscoped.filter(submission=submission).first()
    if done is None:
        return None
    if done.recorded_by_id != user.pk or done.household_id != household.pk:
        raise DeskInvalid(_("The form has expired. Open it again and send it once."))
    return done


# --- the request's page: what will be disclosed -----------------------------------------------


@dataclass(frozen=True)
class RequestPage:
    request: DeskDisclosureRequest
    guardians: list
    children: list
    #: (section title, number of records) of what the files hold (shown before producing).
    sections: list[tuple[str, int]]


def _request(user, request_id: int, *, lock: bool = False) -> DeskDisclosureRequest:
    requests = DeskDisclosureRequest.objects.select_related(
        "household__municipality", "recorded_by", "produced_by"
    )
    if lock:
        requests = requests.select_for_update(of=("self",))
    return get_or_404(user, Action.DESK_DISCLOSURE, requests, pk=request_id)


def request_page(user, request_id: int) -> RequestPage:
    """The request, the household's people by name and, while the files are not produced, the
    sections they will hold with their number of records (no values: those go into the files
    only). 404 out of reach."""
    request = _request(user, request_id)
    household = request.household
    guardians = list(household.guardians.order_by("-is_primary", "pk"))
    children = list(household.children.order_by("birth_date", "pk"))
    sections = []
    if not request.is_produced:
        made = disclosure.disclosure(user, household.pk, action=Action.DESK_DISCLOSURE)
        sections = [(s.title, len(s.rows)) for s in made.sections]
    record("read", request, fields=REQUEST_FIELDS + PRODUCTION_FIELDS)
    record_many("read", guardians, fields=GUARDIAN_NAME_FIELDS)
    record_many("read", children, fields=LIST_FIELDS)
    return RequestPage(request, guardians, children, sections)


# --- producing the files ----------------------------------------------------------------------


def request_page_reach(user, request_id: int) -> DeskDisclosureRequest:
    """The request, 404 unless ``user`` may handle it (nothing read of the household)."""
    return _request(user, request_id)


def request_for_production(user, request_id: int) -> DeskDisclosureRequest:
    """404 unless ``user`` may produce this request's files; refused when they were produced
    (checked again under the lock in :func:`produce`)."""
    request = _request(user, request_id)
    _refuse_if_produced(request)
    return request


def _refuse_if_produced(request: DeskDisclosureRequest) -> None:
    if request.is_produced:
        who = request.produced_by
        raise DeskInvalid(
            _(
                "The files of request %(number)s were produced on %(when)s by %(who)s and "
                "cannot be produced again. To hand over another copy, record a new request."
            )
            % {
                "number": request.number,
                "when": datetime_text(request.produced_at),
                "who": (who.full_name or who.email) if who else "",
            },
            code="produced",
        )


def produce(user, request_id: int, *, confirmed: bool, export_request_id: str) -> Sealed:
    """Produce the household's disclosure for the request: the PDF (saying it was produced at
    the desk, for which request, on which day) and the JSON, sealed together in one protected
    export for ``user``. Once per request; the request keeps who, when and both files'
    SHA-256."""
    if not confirmed:
        raise DeskInvalid(
            _(
                "Confirm that you checked the requester's identity and the household before "
                "producing the files."
            ),
            code="not_confirmed",
        )
    with transaction.atomic():
        request = _request(user, request_id, lock=True)
        _refuse_if_produced(request)
        if request.identity_document not in IdentityDocument.values:  # the database refuses too
            raise DeskInvalid(_("No identity check is recorded for this request."))
        made = disclosure.disclosure(
            user, request.household_id, action=Action.DESK_DISCLOSURE, desk_request=request
        )
        pdf, data = made.pdf_bytes(), made.json_bytes()
        stem = f"disclosure-{request.number}"
        household = made.household
        sealed = seal(
            user,
            export_request_id,
            f"{stem}.zip",
            {f"{stem}.pdf": pdf, f"{stem}.json": data},
            municipality_id=household.municipality_id,
            subject_child_ids=household.children.values_list("pk", flat=True),
        )
        request.produced_at = made.made_at
        request.produced_by = user
        request.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
        request.json_sha256 = hashlib.sha256(data).hexdigest()
        request.save(update_fields=list(PRODUCTION_FIELDS))
        disclosure.audit(made, pdf)
        disclosure.audit(made, data)
        record("update", request, fields=PRODUCTION_FIELDS, document_sha256=sealed.sha256)
    return sealed


# --- the ward's list --------------------------------------------------------------------------


def requests_for(user, number: int | str = 1) -> Page:
    """The ward's desk requests, the latest first, a page at a time (404 for anyone else)."""
    may_use_desk(user)
    requests = filter_allowed(
        user,
        Action.DESK_DISCLOSURE,
        DeskDisclosureRequest.objects.select_related("recorded_by", "produced_by"),
    ).order_by("-recorded_at", "-pk")
    page = Paginator(requests, PAGE_SIZE).get_page(number)
    page.object_list = list(page.object_list)
    record_many("list", page.object_list, fields=LIST_REQUEST_FIELDS)
    return page
