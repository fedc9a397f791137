"""The emergency switches and their release (council checklist item 4; docs/incident.md).

Each switch is pulled in two steps (``core.confirm``): :func:`effects` says what it will do (which
ward, which role, how many accounts) and gives a token; :func:`pull` recomputes the effects under
a lock, refuses without the token or when they changed, writes the switch and its
``emergency_switch`` audit event in one transaction. :func:`release` ends a lasting switch.

Who: a ward's administrator over their own ward; the national operator over any ward or every
ward (``authz`` actions ``incident.switch`` and ``incident.switch_all_wards``).

How sessions are revoked (measured, see docs/incident.md): one account's by its own session
epoch (``accounts.services.end_sessions``); a ward's or everyone's by one switch row whose id
every session compares with the newest revocation it has outlived (``guard``), so pulling it
writes one row whatever the number of accounts, instead of updating every account.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from tsuen.accounts.models import Role
from tsuen.accounts.services import end_sessions
from tsuen.audit.actions import Action as Audit
from tsuen.audit.services import record
from tsuen.authz.policy import Action, get_or_404, require
from tsuen.core import clock, confirm, tenancy
from tsuen.incident.models import LASTING, EmergencySwitch, Kind
from tsuen.municipalities.models import Municipality

User = get_user_model()

#: Roles nobody may turn off: the national operator's own (no one would be left to release it).
NEVER_OFF = frozenset({Role.NATIONAL_OPERATOR})
#: A ward's administrator may not turn off their own role either.
NOT_BY_WARD = NEVER_OFF | {Role.MUNICIPAL_ADMIN}


@dataclass(frozen=True)
class Request:
    """A switch someone wants to pull. ``ward`` None: every ward (national operator only)."""

    kind: str
    ward: Municipality | None
    role: str = ""
    account: object | None = None  # REVOKE_SESSIONS of one account
    reason: str = ""


@dataclass(frozen=True)
class Effects:
    request: Request
    accounts: int
    token: str


def accounts_of(ward_id: int | None) -> QuerySet:
    """The active accounts whose ward is ``ward_id`` (None: every account): the ward's staff,
    its facilities' staff, its households' guardians and proxy users."""
    users = User.objects.filter(is_active=True)
    if ward_id is None:
        return users
    return users.filter(
        Q(municipality_id=ward_id)
        | Q(facility__municipality_id=ward_id)
        | Q(guardian__household__municipality_id=ward_id)
        | Q(proxy_grants__household__municipality_id=ward_id, proxy_grants__revoked_at__isnull=True)
    ).distinct()


def roles_for(user) -> list[tuple[str, str]]:
    """The roles ``user`` may turn off, as choices."""
    barred = NEVER_OFF if user.role == Role.NATIONAL_OPERATOR else NOT_BY_WARD
    return [(value, label) for value, label in Role.choices if value not in barred]


def guard(user) -> None:
    """404 unless ``user`` may pull a switch somewhere."""
    require(user, Action.INCIDENT_SWITCH, Municipality)


def ward_for(user, ward_id: int | None) -> Municipality | None:
    """The ward a switch of ``user`` covers: their own (an administrator), the one chosen or
    None for every ward (the national operator). 404 for a ward out of reach."""
    if ward_id is None:
        require(user, Action.INCIDENT_SWITCH_ALL_WARDS, Municipality)
        return None
    with tenancy.cross_tenant("the wards an emergency switch may cover"):
        return get_or_404(user, Action.INCIDENT_SWITCH, Municipality.objects.all(), pk=ward_id)


def find_account(user, ward: Municipality | None, email: str):
    """The account to sign out, within the ward the user covers; a clear refusal otherwise
    (the same words whether the address is unknown or belongs to another ward)."""
    with tenancy.cross_tenant("the accounts an emergency switch may sign out"):
        account = accounts_of(ward.pk if ward else None).filter(email__iexact=email.strip()).first()
    if account is None:
        raise ValidationError(
            _("No active account with this email address in the ward you cover."), code="unknown"
        )
    return account


def _check(user, req: Request) -> int:
    """Refuse what may not be pulled; return how many accounts the switch reaches."""
    if not req.reason.strip():
        raise ValidationError(_("Say why the switch is pulled."), code="reason")
    ward_id = req.ward.pk if req.ward else None
    if req.kind == Kind.DISABLE_ROLE:
        if req.role not in dict(roles_for(user)):
            raise ValidationError(_("This role cannot be turned off from here."), code="role")
    elif req.role:
        raise ValidationError(_("Only the role switch names a role."), code="role")
    if req.kind in LASTING:
        live = EmergencySwitch.objects.filter(
            kind=req.kind, municipality_id=ward_id, role=req.role, released_at__isnull=True
        )
        if live.exists():
            raise ValidationError(
                _("This switch is already on. Release it first, or leave it on."), code="on"
            )
    with tenancy.cross_tenant("counting the accounts an emergency switch reaches"):
        if req.kind == Kind.REVOKE_SESSIONS and req.account is not None:
            return 1
        users = accounts_of(ward_id)
        if req.kind == Kind.DISABLE_ROLE:
            users = users.filter(role=req.role)
        return users.count()


def _token(req: Request, accounts: int) -> str:
    return confirm.token(
        req.kind,
        req.ward.pk if req.ward else None,
        req.role,
        req.account.pk if req.account is not None else None,
        accounts,
    )


def effects(user, req: Request) -> Effects:
    """What pulling ``req`` will do, and the token that confirms it."""
    guard(user)
    accounts = _check(user, req)
    return Effects(req, accounts, _token(req, accounts))


def pull(user, req: Request, *, confirmed: str | None) -> EmergencySwitch:
    """Pull the switch, once confirmed with the token of its current effects."""
    guard(user)
    with transaction.atomic():
        if req.ward is not None:  # one switch at a time per ward
            Municipality.objects.select_for_update().filter(pk=req.ward.pk).first()
        accounts = _check(user, req)
        confirm.require(confirmed, _token(req, accounts))
        switch = EmergencySwitch.objects.create(
            kind=req.kind,
            municipality=req.ward,
            role=req.role,
            target_user=req.account if req.kind == Kind.REVOKE_SESSIONS else None,
            accounts_affected=accounts,
            reason=req.reason.strip(),
            started_by=user,
            started_at=clock.now(),
        )
        if req.kind == Kind.REVOKE_SESSIONS and req.account is not None:
            end_sessions(req.account)
        if req.kind == Kind.READ_ONLY and req.ward is not None:
            Municipality.objects.filter(pk=req.ward.pk).update(read_only=True)
        record(
            Audit.EMERGENCY_SWITCH,
            switch,
            ["kind", "municipality", "role", "target_user", "reason", "started_at"],
            municipality_id=req.ward.pk if req.ward else None,
        )
    return switch


def release(user, switch_id: int, reason: str) -> EmergencySwitch:
    """Turn a lasting switch off again; refused when it is not on."""
    guard(user)
    with transaction.atomic():
        switch = get_or_404(
            user,
            Action.INCIDENT_SWITCH,
            EmergencySwitch.objects.select_for_update(),
            pk=switch_id,
        )
        if switch.municipality_id is None:
            require(user, Action.INCIDENT_SWITCH_ALL_WARDS, Municipality)
        if switch.kind not in LASTING:
            raise ValidationError(
                _("Ended sessions cannot be brought back; their users log in again."),
                code="not_lasting",
            )
        if switch.released_at is not None:
            raise ValidationError(_("This switch was already released."), code="released")
        if not reason.strip():
            raise ValidationError(_("Say why the switch is released."), code="reason")
        switch.released_by = user
        switch.released_at = clock.now()
        switch.release_reason = reason.strip()
        switch.save(update_fields=["released_by", "released_at", "release_reason"])
        if switch.kind == Kind.READ_ONLY and switch.municipality_id is not None:
            Municipality.objects.filter(pk=switch.municipality_id).update(read_only=False)
        record(
            Audit.EMERGENCY_SWITCH,
            switch,
            ["released_by", "released_at", "release_reason"],
            municipality_id=switch.municipality_id,
        )
    return switch


def switches_for(user) -> QuerySet:
    """The switches ``user`` may see and release: their ward's (an administrator), every one
    (the national operator)."""
    from tsuen.authz.policy import filter_allowed

    guard(user)
    return filter_allowed(
        user, Action.INCIDENT_SWITCH, EmergencySwitch.objects.all()
    ).select_related(
        "municipality",
        "started_by__municipality",
        "released_by__municipality",
        "target_user__municipality",
    )


def who(viewer, account) -> str:
    """An account as ``viewer`` may see it: its email for the viewer itself and for the staff of
    its own ward; for anyone else (the national operator, who sees no personal data) its role
    and ward."""
    if account is None:
        return ""
    own_ward = (
        viewer.municipality_id is not None and viewer.municipality_id == account.municipality_id
    )
    if account.pk == viewer.pk or own_ward:
        return account.email
    role = Role(account.role).label if account.role in Role.values else account.role
    if account.municipality_id:
        return _("%(role)s of %(ward)s") % {"role": role, "ward": account.municipality.name}
    return str(role)


def summary(kind: str, ward, role: str = "", account=None, viewer=None) -> str:
    """What a switch does, as a label in the reader's language (the confirmation, the history,
    the messages); the account as ``viewer`` may see it (:func:`who`)."""
    where = ward.name if ward is not None else None
    if kind == Kind.REVOKE_SESSIONS:
        if account is not None:
            label = account.email if viewer is None else who(viewer, account)
            return _("Sessions ended: %(email)s") % {"email": label}
        if where:
            return _("Sessions ended: every account of %(ward)s") % {"ward": where}
        return _("Sessions ended: every account")
    if kind == Kind.DISABLE_ROLE:
        label = Role(role).label if role in Role.values else role
        if where:
            return _("Role off: %(role)s in %(ward)s") % {"role": label, "ward": where}
        return _("Role off: %(role)s in every ward") % {"role": label}
    if where:
        return _("Read-only: %(ward)s (writes refused, reads go on)") % {"ward": where}
    return _("Read-only: every ward (writes refused, reads go on)")


def describe(switch: EmergencySwitch, viewer=None) -> str:
    return summary(switch.kind, switch.municipality, switch.role, switch.target_user, viewer)


def listed(viewer, switches) -> list[tuple]:
    """(switch, what it does, who pulled it, who released it) as ``viewer`` may see them."""
    return [
        (s, describe(s, viewer), who(viewer, s.started_by), who(viewer, s.released_by))
        for s in switches
    ]
