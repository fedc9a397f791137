"""Searching and exporting a municipality's audit log (監査ログの検索と書き出し).

The auditor and the municipal administrator search their own ward's chain. People are named by
identifiers the searcher already holds (a certificate number, an internal id, a guardian's
email), resolved here; the rows show who acted, from where, what they did and about whom, by
identifiers only. The administrator also sees the children's names (recorded as a list read);
the auditor never sees a name, birth date or address. Searching and exporting the log are
themselves audit events (on the chain head: "who looked at the log?").
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import capfirst

from tsuen.accounts.models import FAMILY_ROLES, Role, User
from tsuen.audit.actions import CHANGE_ACTIONS, READ_ACTIONS, Action
from tsuen.audit.models import AuditChainHead, AuditEvent, chain_key
from tsuen.audit.services import record, record_many
from tsuen.audit.verify import VerifyResult, verify_chain
from tsuen.authz.policy import Action as Can
from tsuen.authz.policy import allows_any, filter_allowed, require
from tsuen.certification.models import Certification
from tsuen.core import clock
from tsuen.core.csvutil import BOM, csv_row
from tsuen.core.wareki import wareki
from tsuen.exports.services import Sealed, seal
from tsuen.families.models import Child, Guardian

PAGE_SIZE = 50
#: The latest events of the ward's chain the log's first page verifies (about half a second on
#: a small server); the whole chain is verified daily by ``manage.py verify_audit_chain``.
VERIFY_LATEST = 10_000
#: Events counted at most for a search: a ward's whole log is millions of events, and counting
#: them all on every page costs more than the page. Beyond it the page says "more than" and
#: offers pages up to the cap (narrow the period to go further back).
COUNT_CAP = 10_000
EXPORT_CHUNK = 500
#: Action filters beyond a single action: every read, every change.
KIND_READS, KIND_CHANGES = "reads", "changes"


@dataclass(frozen=True)
class Filters:
    """A search of the log. ``child`` is a certificate number or an internal child id."""

    child: str = ""
    guardian_email: str = ""
    staff_email: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    kind: str = ""
    object_type: str = ""


@dataclass(frozen=True)
class ChildRef:
    """A child an event is about: the internal id and certificate numbers (and, for the
    administrator only, the name)."""

    id: int
    numbers: tuple[str, ...] = ()
    name: str = ""


@dataclass
class Row:
    """One event as the searcher sees it: identifiers, never a person's values."""

    event: AuditEvent
    when: dt.datetime  # local time (JST)
    actor: str  # a staff account's email, or "#id" for a family account
    children: list[ChildRef] = field(default_factory=list)

    @property
    def object_label(self) -> str:
        """The kind of object in words (施設, 予約), not its model label."""
        return object_type_label(self.event.object_type)

    @property
    def field_labels(self) -> list[str]:
        """The fields touched, by their labels (生年月日), not their identifiers."""
        return field_labels(self.event.object_type, self.event.field_names)

    @property
    def role(self) -> str:
        """The actor's role in words ("system" and "anonymous" as recorded)."""
        role = self.event.actor_role
        return Role(role).label if role in Role.values else role

    @property
    def certificates(self) -> list[str]:
        return [number for child in self.children for number in child.numbers]


def object_types() -> list[str]:
    """Every model label an event can name (tsuen's own models), for the object-type filter."""
    return sorted(
        model._meta.label_lower
        for model in apps.get_models()
        if model.__module__.startswith("tsuen.")
    )


def _model(label: str):
    try:
        return apps.get_model(label) if label else None
    except (LookupError, ValueError):
        return None


def object_type_label(label: str) -> str:
    """施設 for ``facilities.facility``: the model's name in the reader's language (the raw
    label only for a model that no longer exists)."""
    model = _model(label)
    return capfirst(model._meta.verbose_name) if model else label


def field_labels(label: str, names) -> list[str]:
    """The fields' labels (生年月日 for ``birth_date``); a name the model no longer has stays."""
    model = _model(label)
    labels = []
    for name in names or ():
        try:
            labels.append(capfirst(model._meta.get_field(name).verbose_name))
        except (AttributeError, FieldDoesNotExist):
            labels.append(name)
    return labels


def _day_start(day: dt.date) -> dt.datetime:
    """Midnight of ``day`` in the site's time zone (JST): periods are the ward's days."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _child_ids(staff, text: str) -> list[int]:
    """A certificate number of the ward, or an internal id (children who moved away or were
    purged keep their events, so an id is taken as given)."""
    text = text.strip()
    if re.fullmatch(r"[0-9]+", text):  # the search form keeps it within an id's range
        return [int(text)]
    return list(
        Certification.objects.filter(municipality_id=staff.municipality_id, number=text)
        .values_list("child_id", flat=True)
        .distinct()
    )


def _staff_ids(email: str) -> list[int]:
    """The accounts with this email, whatever its case. Accounts store their email in lower
    case, so the unique index finds it; the case-insensitive scan of every account (millions
    of families' accounts at a country's size) is only the fallback for an address that is
    not stored as written in lower case."""
    email = email.strip()
    accounts = User.objects.values_list("pk", flat=True)
    return list(accounts.filter(email=email.lower())) or list(accounts.filter(email__iexact=email))


def guard(staff, *, export: bool = False) -> None:
    """404 unless ``staff`` may search (or export) some municipality's log."""
    require(staff, Can.AUDIT_EXPORT if export else Can.AUDIT_SEARCH, AuditEvent)


def _events(staff, action: Can, filters: Filters) -> tuple[QuerySet, list]:
    """The ward's events matching ``filters`` and the people searched for (children,
    guardians: unsaved stand-ins holding only their ids, for the search's own event)."""
    require(staff, action, AuditEvent)
    events = filter_allowed(staff, action, AuditEvent.objects.all())
    subjects: list = []
    if filters.child:
        ids = _child_ids(staff, filters.child)
        subjects += [Child(pk=pk) for pk in ids]
        events = events.filter(_any("subject_child_ids", ids))
    if filters.guardian_email:
        ids = list(
            Guardian.objects.filter(
                household__municipality_id=staff.municipality_id,
                email__iexact=filters.guardian_email.strip(),
            ).values_list("pk", flat=True)
        )
        subjects += [Guardian(pk=pk) for pk in ids]
        events = events.filter(_any("subject_guardian_ids", ids))
    if filters.staff_email:
        # Resolved first, so that the planner knows the actor and walks the actor's events
        # (a subquery left it walking the whole ward's log newest first, looking for them).
        events = events.filter(actor_id__in=_staff_ids(filters.staff_email))
    if filters.date_from:
        events = events.filter(occurred_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        events = events.filter(occurred_at__lt=_day_start(filters.date_to + dt.timedelta(days=1)))
    if filters.kind == KIND_READS:
        events = events.filter(action__in=READ_ACTIONS)
    elif filters.kind == KIND_CHANGES:
        events = events.filter(action__in=CHANGE_ACTIONS)
    elif filters.kind:
        events = events.filter(action=filters.kind)
    if filters.object_type:
        events = events.filter(object_type=filters.object_type)
    return events.order_by("-occurred_at", "-pk"), subjects


def _any(column: str, ids: list[int]) -> Q:
    """Events about any of ``ids``; none when the name resolved to nobody."""
    if not ids:
        return Q(pk__in=[])
    condition = Q()
    for pk in ids:
        condition |= Q(**{f"{column}__has_id": pk})
    return condition


def _head(staff) -> AuditChainHead:
    """The ward's chain head: the object a search or an export of the log is recorded on."""
    head, _ = AuditChainHead.objects.get_or_create(
        key=chain_key(staff.municipality_id),
        defaults={"municipality_id": staff.municipality_id},
    )
    return head


def _rows(staff, events: list[AuditEvent], *, names: bool) -> list[Row]:
    """Describe a batch of events: three queries at most, whatever its size."""
    actor_ids = {e.actor_id for e in events if e.actor_id is not None}
    emails = dict(
        User.objects.filter(pk__in=actor_ids)
        .exclude(role__in=FAMILY_ROLES)  # a family's email is personal data
        .values_list("pk", "email")
    )
    child_ids = {pk for e in events for pk in e.subject_child_ids}
    numbers: dict[int, list[str]] = {}
    for child_id, number in (
        Certification.objects.filter(municipality_id=staff.municipality_id, child_id__in=child_ids)
        .order_by("valid_from", "pk")
        .values_list("child_id", "number")
    ):
        numbers.setdefault(child_id, []).append(number)
    children = {}
    if names and child_ids:
        shown = list(
            filter_allowed(staff, Can.CHILD_VIEW, Child.objects.filter(pk__in=child_ids)).only(
                "pk", "family_name", "given_name"
            )
        )
        record_many(Action.LIST, shown, ["family_name", "given_name"])
        children = {c.pk: c.full_name for c in shown}
    rows = []
    for e in events:
        actor = emails.get(e.actor_id) or (f"#{e.actor_id}" if e.actor_id is not None else "")
        rows.append(
            Row(
                event=e,
                when=timezone.localtime(e.occurred_at),
                actor=actor,
                children=[
                    ChildRef(pk, tuple(numbers.get(pk, ())), children.get(pk, ""))
                    for pk in e.subject_child_ids
                ],
            )
        )
    return rows


class CappedPaginator(Paginator):
    """A paginator that counts at most ``COUNT_CAP`` + 1 events: ``capped`` when there are
    more, and then ``count`` is the cap (pages up to it). Newest first, so the pages within
    the cap are the same as an exact count would give."""

    @cached_property
    def capped(self) -> bool:
        return self._counted > COUNT_CAP

    @cached_property
    def _counted(self) -> int:
        return self.object_list.order_by()[: COUNT_CAP + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._counted, COUNT_CAP)


@dataclass
class SearchPage:
    page: Page
    rows: list[Row]
    chain: VerifyResult | None  # None: not verified on this request
    names: bool  # whether the children's names are shown (the administrator)


def search(staff, filters: Filters, page: int | str = 1, *, verify: bool = False) -> SearchPage:
    """One page of the ward's log, newest first; with ``verify``, the chain's verification.

    The auditor and the administrator of the ward (404 for everyone else). A constant number
    of queries whatever the size of the log. Verifying reads the chain's latest
    ``VERIFY_LATEST`` events (the whole chain when it is shorter; a ward's chain of millions
    is verified daily by ``verify_audit_chain``, not within a request) and runs when asked
    (the log's first page), not on every search or page turn.
    """
    events, subjects = _events(staff, Can.AUDIT_SEARCH, filters)
    result = CappedPaginator(events, PAGE_SIZE).get_page(page)
    batch = list(result.object_list)
    result.object_list = batch
    # Names for those the policy lets see children (the administrator), never the auditor.
    names = allows_any(staff, Can.CHILD_VIEW, Child)
    rows = _rows(staff, batch, names=names)
    record(Action.LIST, _head(staff), subjects=subjects)
    chain = verify_chain(staff.municipality_id, latest=VERIFY_LATEST) if verify else None
    return SearchPage(result, rows, chain, names)


EXPORT_HEADERS = (
    "event_id",
    "seq",
    "occurred_at",
    "date_wareki",
    "actor_id",
    "actor",
    "actor_role",
    "source_address",
    "action",
    "object_type",
    "object_id",
    "field_names",
    "subject_child_ids",
    "certificate_numbers",
    "subject_guardian_ids",
    "document_sha256",
)


def _export_line(row: Row) -> str:
    e = row.event
    return csv_row(
        (
            e.pk,
            "" if e.seq is None else e.seq,  # empty until the sequencer seals the event
            row.when.isoformat(),
            wareki(row.when.date()),
            "" if e.actor_id is None else e.actor_id,
            row.actor,
            e.actor_role,
            e.source_address,
            e.action,
            e.object_type,
            e.object_id,
            " ".join(e.field_names),
            " ".join(str(pk) for pk in e.subject_child_ids),
            " ".join(row.certificates),
            " ".join(str(pk) for pk in e.subject_guardian_ids),
            e.document_sha256,
        )
    )


def _write_csv(staff, events: QuerySet, out) -> None:
    """Write the events to ``out`` in chunks."""

    def write(text: str) -> None:
        out.write(text.encode())

    write(BOM + csv_row(EXPORT_HEADERS))
    batch: list[AuditEvent] = []
    for event in events.iterator(chunk_size=EXPORT_CHUNK):
        batch.append(event)
        if len(batch) == EXPORT_CHUNK:
            for row in _rows(staff, batch, names=False):
                write(_export_line(row))
            batch = []
    for row in _rows(staff, batch, names=False):
        write(_export_line(row))


def export(staff, filters: Filters, *, request_id: str) -> Sealed:
    """Every event of the search as a UTF-8 CSV with BOM, newest first, sealed as a protected
    export (AES-256 ZIP) for ``staff``.

    Identifiers only, for every role (no names: the file leaves the system). The export is
    recorded on the chain head with the ZIP's SHA-256 (the file handed out) and the people
    searched for."""
    events, subjects = _events(staff, Can.AUDIT_EXPORT, filters)
    out = io.BytesIO()
    _write_csv(staff, events, out)
    stamp = timezone.localtime(clock.now()).strftime("%Y%m%d-%H%M%S")
    sealed = seal(
        staff,
        request_id,
        f"audit-log-{stamp}.csv",
        out.getvalue(),
        municipality_id=staff.municipality_id,
        subject_child_ids=[s.pk for s in subjects if isinstance(s, Child)],
    )
    record(Action.EXPORT, _head(staff), subjects=subjects, document_sha256=sealed.sha256)
    return sealed
