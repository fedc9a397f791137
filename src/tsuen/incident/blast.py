"""The blast-radius query (council checklist items 4 and 12; docs/incident.md): which children
one account's requests touched in a period, and from which source addresses, read from the
audit trail (every read and write of personal data is an event naming its children, its actor
and the source address).

For a ward's administrator and auditor, over their ward's chain (``authz`` action
``incident.blast_radius``). Identifiers only, as the audit search's export: child ids and
addresses, never a name. The query itself is an audit event naming the children it found.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from tsuen.audit.actions import Action as Audit
from tsuen.audit.models import AuditChainHead, AuditEvent, chain_key
from tsuen.audit.services import record
from tsuen.authz.policy import Action, filter_allowed, require
from tsuen.core import clock
from tsuen.core.csvutil import BOM, csv_row
from tsuen.exports.services import Sealed, seal

User = get_user_model()

#: The longest period one query covers (a year and a day: a fiscal year with room).
MAX_DAYS = 366
HEADERS = ("child_id", "source_address", "first_seen", "last_seen", "events")


@dataclass
class Seen:
    child_id: int
    first: dt.datetime
    last: dt.datetime
    events: int = 0
    addresses: set[str] = field(default_factory=set)


@dataclass
class Address:
    address: str
    first: dt.datetime
    last: dt.datetime
    events: int = 0
    children: set[int] = field(default_factory=set)


@dataclass
class Radius:
    account_id: int
    start: dt.date
    end: dt.date
    events: int
    children: list[Seen]
    addresses: list[Address]
    #: (child id, address) -> [first, last, events]: the rows of the CSV.
    pairs: dict[tuple[int, str], list] = field(default_factory=dict)


def guard(staff, *, export: bool = False) -> None:
    require(staff, Action.BLAST_RADIUS_EXPORT if export else Action.BLAST_RADIUS, AuditEvent)


def account_id(text: str) -> int:
    """The account asked about: an email address or an account id (an account that is gone
    still has its id in the trail)."""
    text = text.strip()
    if text.isdigit() and len(text) <= 18:
        return int(text)
    found = User.objects.filter(email__iexact=text).values_list("pk", flat=True).first()
    if found is None:
        raise ValidationError(_("No account with this email address."), code="unknown")
    return found


def bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    if end < start:
        raise ValidationError(_("The period ends before it starts."), code="order")
    if (end - start).days > MAX_DAYS:
        raise ValidationError(
            _("Ask about at most %(days)d days at a time.") % {"days": MAX_DAYS}, code="long"
        )
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )


def radius(
    staff, account: int, start: dt.date, end: dt.date, *, action=Action.BLAST_RADIUS
) -> Radius:
    """Every event of ``account`` in the ward's chain from ``start`` to ``end`` (whole days,
    inclusive), folded per child and per source address."""
    require(staff, action, AuditEvent)
    since, until = bounds(start, end)
    events = filter_allowed(staff, action, AuditEvent.objects.all()).filter(
        actor_id=account, occurred_at__gte=since, occurred_at__lt=until
    )
    children: dict[int, Seen] = {}
    addresses: dict[str, Address] = {}
    pairs: dict[tuple[int, str], list] = {}
    count = 0
    rows = events.order_by("occurred_at", "pk").values_list(
        "occurred_at", "source_address", "subject_child_ids"
    )
    for occurred_at, address, child_ids in rows.iterator(chunk_size=2000):
        count += 1
        place = addresses.setdefault(address, Address(address, occurred_at, occurred_at))
        place.last, place.events = occurred_at, place.events + 1
        for child_id in child_ids or ():
            seen = children.setdefault(child_id, Seen(child_id, occurred_at, occurred_at))
            seen.last, seen.events = occurred_at, seen.events + 1
            seen.addresses.add(address)
            place.children.add(child_id)
            pair = pairs.setdefault((child_id, address), [occurred_at, occurred_at, 0])
            pair[1], pair[2] = occurred_at, pair[2] + 1
    result = Radius(
        account_id=account,
        start=start,
        end=end,
        events=count,
        children=sorted(children.values(), key=lambda s: s.child_id),
        addresses=sorted(addresses.values(), key=lambda a: a.address),
        pairs=pairs,
    )
    _record(staff, result)
    return result


def _head(staff) -> AuditChainHead:
    head, _ = AuditChainHead.objects.get_or_create(
        key=chain_key(staff.municipality_id),
        defaults={"municipality_id": staff.municipality_id},
    )
    return head


def _stand_ins(result: Radius) -> list:
    from tsuen.families.models import Child

    return [Child(pk=seen.child_id) for seen in result.children]


def _record(staff, result: Radius) -> None:
    record(Audit.LIST, _head(staff), subjects=_stand_ins(result))


def export(staff, account: int, start: dt.date, end: dt.date, *, request_id: str) -> Sealed:
    """The query as a CSV (one row per child and source address), sealed as a protected
    export for ``staff`` and recorded with the ZIP's SHA-256."""
    result = radius(staff, account, start, end, action=Action.BLAST_RADIUS_EXPORT)
    out = io.StringIO()
    out.write(BOM + csv_row(HEADERS))
    for (child_id, address), (first, last, events) in sorted(result.pairs.items()):
        out.write(
            csv_row(
                [
                    child_id,
                    address,
                    timezone.localtime(first).isoformat(),
                    timezone.localtime(last).isoformat(),
                    events,
                ]
            )
        )
    stamp = timezone.localtime(clock.now()).strftime("%Y%m%d-%H%M%S")
    sealed = seal(
        staff,
        request_id,
        f"blast-radius-{account}-{stamp}.csv",
        out.getvalue().encode(),
        municipality_id=staff.municipality_id,
        subject_child_ids=[s.child_id for s in result.children],
    )
    record(Audit.EXPORT, _head(staff), subjects=_stand_ins(result), document_sha256=sealed.sha256)
    return sealed
