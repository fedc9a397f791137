"""Who is acting, from where: set once per request (or per job) and read by the audit trail."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    role: str
    municipality_id: int | None = None
    source_address: str | None = None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)


SYSTEM = Actor(user_id=None, role="system")

_actor: ContextVar[Actor] = ContextVar("tsuen_actor", default=SYSTEM)


def current_actor() -> Actor:
    return _actor.get()


@contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    token = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token)


def actor_for(user, source_address: str | None = None) -> Actor:
    """The audit actor for a (possibly anonymous) user."""
    if user is None or not user.is_authenticated:
        return Actor(user_id=None, role="anonymous", source_address=source_address)
    return Actor(
        user_id=user.pk,
        role=user.role,
        municipality_id=user.municipality_id,
        source_address=source_address,
    )
