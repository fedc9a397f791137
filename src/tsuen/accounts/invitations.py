"""Staff invitations, one flow for every organisation (issue 9 item 8).

A facility invites its staff (``facilities.StaffInvitation``), a ward its staff and the national
operator a new ward's first administrator (``accounts.WardInvitation``). Both are an
``accounts.models.Invitation``: the email carries a one-use link valid for
``INVITATION_DAYS``; the database keeps only the token's hash (``core.tokens.token_hash``).
Accepting it creates the account bound to the organisation (``accounts.services.create_user``:
the address is verified, the password checked by the validators); the person must set up a
second factor at the first login (``StaffSecondFactorMiddleware``).

The callers authorize (the organisation comes from ``get_or_404`` on the right action), open
the transaction and say what the notice reads; this module does the rest the same way for
all of them.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tsuen.accounts.services import address_taken
from tsuen.audit import record
from tsuen.core import clock
from tsuen.core.tokens import token_hash

#: How long an invitation's link works.
INVITATION_DAYS = 7
#: What an invitation's audit events name.
INVITATION_FIELDS = ("email", "role", "expires_at")
#: What the audit event of the account made by accepting one names.
ACCOUNT_FIELDS = ("email", "full_name", "role", "municipality", "facility")


class InvitationRefused(ValidationError):
    """The invitation cannot be sent or used; the message says why. Nothing was written."""


@dataclass(frozen=True)
class Issued:
    invitation: object  # an accounts.models.Invitation
    token: str  # only in the email's link; the database keeps its hash


def issue(
    model,
    inviter,
    *,
    email: str,
    role: str,
    roles: Iterable[str],
    notice,
    accept_route: str,
    notice_context: dict,
    **organisation,
) -> Issued:
    """Create an invitation of ``model`` for ``email`` to ``role`` (one of ``roles``) at the
    ``organisation`` (e.g. ``facility=...`` or ``municipality=...``), audit it and queue the
    email (on commit). Call inside the caller's transaction, after authorizing."""
    from tsuen.accounts.lockout import normalise
    from tsuen.families.services import Recipient
    from tsuen.notices.services import notify

    if role not in set(roles):
        raise InvitationRefused(_("Choose one of the roles offered."))
    address = normalise(email) or ""
    if address_taken(address):
        raise InvitationRefused(_("An account with this email address already exists."))
    token = secrets.token_urlsafe(32)
    invitation = model.objects.create(
        email=address,
        role=role,
        token_hash=token_hash(token),
        invited_by=inviter,
        expires_at=clock.now() + dt.timedelta(days=INVITATION_DAYS),
        **organisation,
    )
    record("create", invitation, fields=INVITATION_FIELDS)
    notify(
        notice,
        Recipient(address, inviter.language),
        expires_at=timezone.localtime(invitation.expires_at),
        path=reverse(accept_route, args=[token]),
        **notice_context,
    )
    return Issued(invitation, token)


def open_invitation(queryset: QuerySet, token: str, *, ask: str):
    """The unused, unexpired invitation of ``token`` in ``queryset`` (an unscoped manager: the
    person has no account yet); :class:`InvitationRefused` says why it cannot be used, ending
    with ``ask`` (whom to ask for a new one)."""
    invitation = queryset.filter(token_hash=token_hash(token)).first()
    if invitation is None:
        raise InvitationRefused(_("This invitation link is not valid. %(ask)s") % {"ask": ask})
    if invitation.accepted_at is not None:
        raise InvitationRefused(_("This invitation has already been used."))
    if invitation.expires_at <= clock.now():
        raise InvitationRefused(_("This invitation has expired. %(ask)s") % {"ask": ask})
    return invitation


def accept(
    queryset: QuerySet,
    token: str,
    *,
    password: str,
    full_name: str,
    ask: str,
    organisation: Callable[[object], dict],
):
    """Use the invitation up and create its account, bound to ``organisation(invitation)``
    (e.g. ``{"facility": invitation.facility}``). One transaction, the invitation row locked:
    two tabs submitting at once make one account. Raises ``ValidationError`` (a refused
    invitation, or the password validators' messages) and then writes nothing."""
    from tsuen.accounts.services import create_user

    with transaction.atomic():
        invitation = open_invitation(queryset, token, ask=ask)
        invitation = queryset.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at is not None:
            raise InvitationRefused(_("This invitation has already been used."))
        bound_to = organisation(invitation)
        user = create_user(
            invitation.email, password, invitation.role, full_name=full_name, **bound_to
        )
        invitation.accepted_at = clock.now()
        invitation.save(update_fields=["accepted_at"])
        record("update", invitation, fields=["accepted_at"])
        # The joiner's account, on the chain of the ward it belongs to (a facility's ward).
        ward = bound_to.get("municipality")
        facility = bound_to.get("facility")
        record(
            "create",
            user,
            fields=ACCOUNT_FIELDS,
            municipality_id=ward.pk if ward is not None else facility.municipality_id,
        )
    return user


def withdraw(invitation) -> None:
    """End an open invitation now (its link stops working); the row stays as history. Call
    inside the caller's transaction, with the row locked and authorized."""
    invitation.expires_at = clock.now()
    invitation.save(update_fields=["expires_at"])
    record("update", invitation, fields=["expires_at"])
