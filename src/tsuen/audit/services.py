"""Recording audit events: the only way rows enter the audit trail.

Services and views call :func:`record` (one object) or :func:`record_many` (a list view) at the
point where personal data is shown or changed. The event is inserted at once, in the surrounding
transaction: it commits with the change it describes, or rolls back with it; outside a
transaction it is written before the view returns the data. It is inserted *unsealed*, without a
place in its chain, so appending locks nothing shared: :mod:`tsuen.audit.sequencer` seals the
events into their municipality's chain in batches, within seconds.

Writing fails closed: if the event cannot be appended, the error is logged with the event's
content (which holds no personal values, so the log may keep it) and re-raised, so the request
fails instead of disclosing or changing data unrecorded.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import ipaddress
import json
import logging
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

from django.core.exceptions import FieldDoesNotExist
from django.db import connections, models, router

from tsuen.audit.actions import Action
from tsuen.audit.models import AuditEvent
from tsuen.core import clock, compiled
from tsuen.core.context import Actor, current_actor

logger = logging.getLogger("tsuen.audit")

#: Models whose rows are people; an event touching one of them, or a row with a foreign key to
#: one of them, lists the person's id so that "all events for child X" is a single lookup.
PERSON_MODELS = {"families.child": "child", "families.guardian": "guardian"}
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclasses.dataclass(frozen=True)
class EventDraft:
    """An event's content before it takes its place in a chain."""

    occurred_at: dt.datetime
    municipality_id: int | None
    actor_id: int | None
    actor_role: str
    actor_municipality_id: int | None
    source_address: str
    request_id: str
    action: str
    object_type: str
    object_id: str
    field_names: list[str]
    subject_child_ids: list[int]
    subject_guardian_ids: list[int]
    document_sha256: str

    def describe(self) -> str:
        """The draft as JSON, for the error log when it could not be written."""
        return json.dumps(dataclasses.asdict(self), default=str, ensure_ascii=False)


def record(
    action: Action | str,
    target: models.Model | None = None,
    fields: Iterable[str] = (),
    *,
    subjects: Iterable[models.Model] = (),
    municipality_id: int | None = None,
    document_sha256: str = "",
) -> None:
    """Record that the current actor did ``action`` to ``target``, touching ``fields``.

    ``fields`` are field names of the target's model (checked, so a value cannot slip in).
    The children and guardians concerned are found from the target (a child, a guardian, or a
    row with a foreign key to one); ``subjects`` adds others, e.g. a household's children.
    The chain is ``municipality_id`` if given, else the target's owning municipality, else the
    national chain. Record a deletion before deleting: the target must still have its pk.
    """
    if target is not None and municipality_id is None:
        [municipality_id] = _owning_municipalities([target])
    draft = _draft(
        _action(action),
        target,
        fields,
        subjects,
        municipality_id,
        document_sha256,
        current_actor(),
        clock.now(),
    )
    _write([draft])


def record_many(
    action: Action | str,
    targets: Iterable[models.Model],
    fields: Iterable[str] = (),
    *,
    subjects: Callable[[models.Model], Iterable[models.Model]] | None = None,
    document_sha256: str = "",
) -> None:
    """Record one event per object of a list (a list view, a search, an export).

    One event per row, not one per request: "who saw child X?" and "who saw this booking?" then
    have the same answer shape as for a single read, and volume rules can count rows seen. The
    events are appended in one bulk insert, unsealed. ``subjects(target)``
    names the people a row is about when the row does not point at them itself (e.g. a morning
    note, about its booking's child); ``document_sha256`` is that of the exported file.
    """
    targets = list(targets)
    if not targets:
        return
    fields = _names(fields)
    actor, now, verb = current_actor(), clock.now(), _action(action)
    drafts = [
        _draft(
            verb,
            target,
            fields,
            subjects(target) if subjects else (),
            municipality_id,
            document_sha256,
            actor,
            now,
        )
        for target, municipality_id in zip(targets, _owning_municipalities(targets), strict=True)
    ]
    _write(drafts)


# --- building drafts ---------------------------------------------------------------------------


def _action(action: Action | str) -> str:
    if action not in Action.values:
        raise ValueError(f"unknown audit action {action!r}")
    return str(Action(action).value)


def _draft(
    action: str,
    target: models.Model | None,
    fields: Iterable[str],
    subjects: Iterable[models.Model],
    municipality_id: int | None,
    document_sha256: str,
    actor: Actor,
    now: dt.datetime,
) -> EventDraft:
    if target is not None and target.pk is None:
        raise ValueError(f"cannot audit an unsaved or deleted {target._meta.label}")
    if document_sha256 and not _SHA256.fullmatch(document_sha256):
        raise ValueError("document_sha256 must be 64 lower-case hex digits")
    people = _people(target, subjects)
    return EventDraft(
        occurred_at=now,
        municipality_id=municipality_id,
        actor_id=actor.user_id,
        actor_role=str(actor.role),
        actor_municipality_id=actor.municipality_id,
        source_address=_address(actor.source_address),
        request_id=actor.request_id,
        action=action,
        object_type=target._meta.label_lower if target is not None else "",
        object_id=str(target.pk) if target is not None else "",
        field_names=_field_names(target, fields),
        subject_child_ids=sorted(people["child"]),
        subject_guardian_ids=sorted(people["guardian"]),
        document_sha256=document_sha256,
    )


def _names(fields: Iterable[str]) -> list[str]:
    if isinstance(fields, str):
        raise TypeError("fields is a list of field names, not one string")
    return list(fields)


def _field_names(target: models.Model | None, fields: Iterable[str]) -> list[str]:
    """Field names, checked against the model: anything else might be a value."""
    names = sorted(set(_names(fields)))
    if names and target is None:
        raise ValueError("field names need a target object")
    for name in names:
        try:
            target._meta.get_field(name)
        except FieldDoesNotExist:
            raise ValueError(
                f"{target._meta.label} has no field {name!r} (audit events name fields, "
                "never values)"
            ) from None
    return names


def _person_refs(obj: models.Model) -> list[tuple[str, int]]:
    """The people a row is about: itself if it is a person, and people it points to."""
    refs = []
    if kind := PERSON_MODELS.get(obj._meta.label_lower):
        refs.append((kind, obj.pk))
    for field in obj._meta.concrete_fields:
        if field.many_to_one or field.one_to_one:
            kind = PERSON_MODELS.get(field.related_model._meta.label_lower)
            if kind and (pk := getattr(obj, field.attname)) is not None:
                refs.append((kind, pk))
    return refs


def _people(target: models.Model | None, subjects: Iterable[models.Model]) -> dict[str, set[int]]:
    people: dict[str, set[int]] = {"child": set(), "guardian": set()}
    for kind, pk in _person_refs(target) if target is not None else ():
        people[kind].add(pk)
    for subject in subjects:
        refs = _person_refs(subject)
        if not refs or subject.pk is None:
            raise ValueError(f"subject {subject._meta.label} is not a saved person and names none")
        for kind, pk in refs:
            people[kind].add(pk)
    return people


def _address(raw: str | None) -> str:
    """One spelling per address, so that searching by address finds every event."""
    if not raw:
        return ""
    try:
        return ipaddress.ip_address(raw).compressed
    except ValueError:
        return raw[:45]


def _municipality_path(model: type[models.Model]) -> str | None:
    """The lookup from a row to its owning municipality's id; ``None``: national."""
    if model._meta.label_lower == "municipalities.municipality":
        return "pk"
    if paths := getattr(model, "TENANT_PATHS", ()):
        return paths[0]
    try:  # not tenant-owned but bound to a municipality, such as a staff account
        field = model._meta.get_field("municipality")
    except FieldDoesNotExist:
        return None
    return "municipality" if field.many_to_one else None


def _owning_municipalities(targets: Sequence[models.Model]) -> list[int | None]:
    """The owning municipality of each target, with one query per model for deep paths.

    The first of the model's ``TENANT_PATHS`` decides (a booking belongs to its facility's
    ward). Lookups go through the base manager, which is unscoped, so no tenant scope is needed.
    """
    deep: dict[tuple[type[models.Model], str], set] = defaultdict(set)
    loaded: dict[int, int | None] = {}
    for target in targets:
        path = _municipality_path(type(target))
        if path and "__" in path:
            known, municipality_id = _through_loaded(target, path)
            if known:
                loaded[id(target)] = municipality_id
            else:
                deep[type(target), path].add(target.pk)
    found = {
        (model, pk): municipality_id
        for (model, path), pks in deep.items()
        for pk, municipality_id in model._base_manager.filter(pk__in=pks).values_list("pk", path)
    }

    def owner(target: models.Model) -> int | None:
        path = _municipality_path(type(target))
        if path is None:
            return None
        if path == "pk":
            return target.pk
        if "__" in path:
            if id(target) in loaded:
                return loaded[id(target)]
            return found.get((type(target), target.pk))
        return getattr(target, target._meta.get_field(path).attname)

    return [owner(target) for target in targets]


def _through_loaded(target: models.Model, path: str) -> tuple[bool, int | None]:
    """The value at the end of ``path`` read from the related rows already loaded with the target
    (``select_related``: a child's household), without a query; ``(False, None)`` when a step
    of the way is not loaded."""
    *steps, last = path.split("__")
    row = target
    for step in steps:
        field = row._meta.get_field(step)
        if not (field.many_to_one or (field.one_to_one and field.concrete)):
            return False, None  # only forward relations are loaded with the row
        if not field.is_cached(row):
            return False, None
        row = field.get_cached_value(row)
        if row is None:
            return True, None
    return True, getattr(row, row._meta.get_field(last).attname)


# --- appending -----------------------------------------------------------------------------------


def _write(drafts: list[EventDraft]) -> None:
    try:
        _append(drafts)
    except Exception:
        logger.error(
            "audit events could not be written; their content, for the record: %s",
            "; ".join(draft.describe() for draft in drafts),
            exc_info=True,
        )
        raise


def _append(drafts: Sequence[EventDraft]) -> None:
    """Insert the drafts now, unsealed, in one statement.

    No chain head is read, locked or moved: concurrent requests of one ward do not queue on
    anything. The insert joins the caller's transaction (atomic with the work it describes);
    in autocommit it commits at once. The sequencer gives each event its chain position later.

    Every audited request runs it, so it is written once per number of events, not built by
    the ORM each time (``bulk_create`` spent more Python on the statement than on the row):
    each column's value as the ORM prepares it for the database, the chain's columns at their
    defaults (unsealed), one prepared statement on PostgreSQL (``core.compiled.cursor``).
    """
    alias = router.db_for_write(AuditEvent)
    connection = connections[alias]
    columns = _insert_columns()
    values = [
        field.get_db_prep_save(
            getattr(draft, field.attname) if from_draft else field.get_default(), connection
        )
        for draft in drafts
        for field, from_draft in columns
    ]
    with compiled.cursor(connection) as cursor:
        fields = tuple(field for field, _given in columns)
        cursor.execute(compiled.insert_statement(AuditEvent, fields, alias, len(drafts)), values)


@functools.cache
def _insert_columns() -> tuple[tuple[models.Field, bool], ...]:
    """The audit event's columns but its id, each with whether the draft gives its value."""
    given = {field.name for field in dataclasses.fields(EventDraft)}
    return tuple(
        (field, field.attname in given)
        for field in AuditEvent._meta.concrete_fields
        if not field.primary_key
    )
