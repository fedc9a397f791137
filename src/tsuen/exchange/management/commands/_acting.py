"""The operator's commands act as a ward administrator: the same authorization and audit as
the web pages (``--as EMAIL``)."""

from __future__ import annotations

from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.http import Http404

from tsuen.core import tenancy
from tsuen.core.context import acting_as, actor_for
from tsuen.exchange import services


@contextmanager
def as_administrator(email: str):
    user = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
    if user is None or not user.municipality_id:
        raise CommandError(f"{email}: no active ward administrator with this email.")
    with acting_as(actor_for(user, "127.0.0.1")), tenancy.tenant(user.municipality_id):
        try:
            services.ward_of(user)
        except Http404:
            raise CommandError(f"{email} is not the administrator of a ward.") from None
        yield user
