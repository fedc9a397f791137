"""Tenant scoping: every municipality is a tenant.

A query on a municipality-owned model must run inside an explicit scope, or it raises
:class:`ScopeError` instead of silently reading every ward's data (the idea of pretix's
django-scopes, in a few lines of our own). Two kinds of scope exist:

* ``tenant(municipality_ids)`` filters every tenant-owned query to those municipalities
  (municipal staff work inside their own ward);
* ``cross_tenant(reason)`` lets the query through unfiltered. It is for paths whose rows are
  already narrowed by the authorization layer's relationship rules (a facility's view of a child
  from another ward, a guardian's own children) and for system jobs. The reason is kept so that
  a reviewer can see why a path is cross-tenant.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import models


class ScopeError(RuntimeError):
    """A tenant-owned model was queried with no tenant scope active."""


@dataclass(frozen=True)
class Scope:
    municipality_ids: frozenset[int] | None  # None: explicitly cross-tenant
    reason: str = ""


_current: ContextVar[Scope | None] = ContextVar("tsuen_tenant_scope", default=None)


def current_scope() -> Scope | None:
    return _current.get()


@contextmanager
def _activate(scope: Scope | None) -> Iterator[Scope | None]:
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)


def tenant(municipality_ids: int | Iterable[int]) -> _activate:
    ids = (
        frozenset([municipality_ids])
        if isinstance(municipality_ids, int)
        else frozenset(municipality_ids)
    )
    return _activate(Scope(ids))


def cross_tenant(reason: str) -> _activate:
    if not reason:
        raise ValueError("cross_tenant() needs a reason")
    return _activate(Scope(None, reason))


def no_scope() -> _activate:
    """Deactivate any scope (used by tests to prove that unscoped queries fail)."""
    return _activate(None)


class TenantManager(models.Manager):
    """Default manager of every municipality-owned model.

    The model names its lookups to a municipality id in ``TENANT_PATHS``; a row belongs to the
    scope when any path matches (a booking belongs both to the child's ward and to the
    facility's ward). Paths must follow forward relations only, so that no row is repeated.
    """

    def get_queryset(self) -> models.QuerySet:
        scope = _current.get()
        if scope is None:
            raise ScopeError(
                f"{self.model._meta.label} queried without a tenant scope; "
                "wrap the code in tenancy.tenant(...) or tenancy.cross_tenant(reason)"
            )
        qs = super().get_queryset()
        if scope.municipality_ids is None:
            return qs
        condition = models.Q()
        for path in self.model.TENANT_PATHS:
            condition |= models.Q(**{f"{path}__in": scope.municipality_ids})
        return qs.filter(condition)


class TenantModel(models.Model):
    """Base of every municipality-owned model: scoped default manager, plain base manager."""

    TENANT_PATHS: tuple[str, ...] = ()

    objects = TenantManager()
    unscoped = models.Manager()  # noqa: DJ012  (both managers belong together)

    class Meta:
        abstract = True
        base_manager_name = "unscoped"
