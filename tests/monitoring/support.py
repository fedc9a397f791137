"""Crafted audit events for the anomaly rules' tests: rows as tsuen.audit.record() appends them
(unsealed), with any time, actor and children, in one bulk insert."""

from __future__ import annotations

import datetime as dt
import itertools

from tsuen.audit.models import AuditEvent

JST = dt.timezone(dt.timedelta(hours=9))
WEDNESDAY = dt.date(2026, 11, 18)
SATURDAY = dt.date(2026, 11, 21)
HOLIDAY = dt.date(2026, 11, 23)  # 勤労感謝の日, a Monday

_requests = itertools.count(1)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=JST)


def events(
    count: int,
    *,
    ward,
    actor,
    when: dt.datetime,
    action: str = "read",
    object_type: str = "families.child",
    fields: list[str] | None = None,
    children=None,
    guardians=(),
    address: str = "192.0.2.10",
    role: str | None = None,
    object_id: str = "1",
    one_request: bool = False,
) -> list[AuditEvent]:
    """``count`` events by ``actor`` (an account, or None: anonymous), one second apart from
    ``when``. ``children``: a list of child ids for every event, or a callable of the event's
    index (default: one child, id 1000 + index)."""
    request = f"req-{next(_requests)}"
    rows = []
    for i in range(count):
        if callable(children):
            kids = children(i)
        elif children is None:
            kids = [1000 + i]
        else:
            kids = list(children)
        rows.append(
            AuditEvent(
                occurred_at=when + dt.timedelta(seconds=i),
                municipality_id=getattr(ward, "pk", ward),
                actor_id=actor.pk if actor is not None else None,
                actor_role=role or (actor.role if actor is not None else "anonymous"),
                actor_municipality_id=getattr(actor, "municipality_id", None),
                source_address=address,
                request_id=request if one_request else f"req-{next(_requests)}",
                action=action,
                object_type=object_type,
                object_id=object_id,
                field_names=sorted(fields or []),
                subject_child_ids=sorted(kids),
                subject_guardian_ids=sorted(guardians),
            )
        )
    return AuditEvent.objects.bulk_create(rows)
