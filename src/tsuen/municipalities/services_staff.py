"""The ward runs its own staff accounts: joiner, mover, leaver (issue 9 item 8).

The ward's administrator (``Action.WARD_STAFF_MANAGE``) lists the ward's staff, invites new
staff with a role (a one-use invitation, ``accounts.invitations``: the same flow as a
facility's), changes a role, deactivates and reactivates. Deactivating or changing a role ends
every session of that account at its next request (``accounts.services.end_sessions``). An
administrator can neither deactivate nor demote themselves, nor leave the ward without an
active administrator. The national operator (``Action.MUNICIPALITY_ACCESS_SETUP``) invites a
new ward's first administrator, while the ward has none.

Every change is one transaction under a lock on the municipality row (two administrators acting
at once cannot both remove the last administrator), with an audit event naming the fields
changed, never their values. Bad input raises :class:`WardStaffRefused` and writes nothing.
The ward's network ranges are ``municipalities.services_networks``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tsuen.accounts import invitations
from tsuen.accounts.invitations import Issued
from tsuen.accounts.models import Role, User, WardInvitation
from tsuen.accounts.services import end_sessions
from tsuen.audit import record, record_many
from tsuen.authz.policy import Action, api_system_users, filter_allowed, get_or_404, require
from tsuen.core import clock
from tsuen.municipalities.models import Municipality
from tsuen.notices.kinds import Notice

#: The roles a ward gives its staff, in the order the screens offer them.
WARD_ROLES = (
    Role.MUNICIPAL_REVIEWER,
    Role.MUNICIPAL_PAYMENTS,
    Role.MUNICIPAL_ADMIN,
    Role.AUDITOR,
)
#: What the staff list shows of an account (audited by these names).
MEMBER_FIELDS = ("email", "full_name", "role", "is_active", "last_login")
_ASK_ADMINISTRATOR = gettext_lazy("Ask your ward's administrator for a new one.")


class WardStaffRefused(ValidationError):
    """The change is refused; the message says why. Nothing was written."""


def _ward(user, action: Action, *, lock: bool = False) -> Municipality:
    """The user's own municipality, if ``action`` on it is allowed; 404 otherwise."""
    require(user, action, Municipality)
    rows = Municipality.objects.select_for_update() if lock else Municipality.objects.all()
    return get_or_404(user, action, rows, pk=user.municipality_id)


def may_manage(admin) -> Municipality:
    """The administrator's ward (404 for anyone else): for pages that show a blank form."""
    return _ward(admin, Action.WARD_STAFF_MANAGE)


def _with_second_factor(queryset: QuerySet[User]) -> QuerySet[User]:
    from allauth.mfa.models import Authenticator

    from tsuen.accounts.adapters import SECOND_FACTOR_TYPES

    factors = Authenticator.objects.filter(user=OuterRef("pk"), type__in=SECOND_FACTOR_TYPES)
    return queryset.annotate(has_second_factor=Exists(factors))


def _open_invitations(user) -> QuerySet[WardInvitation]:
    return filter_allowed(
        user,
        Action.WARD_STAFF_MANAGE,
        WardInvitation.objects.filter(accepted_at__isnull=True, expires_at__gt=clock.now()),
    )


# --- the list ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StaffPage:
    municipality: Municipality
    members: list[User]  # each with ``has_second_factor``
    invitations: list[WardInvitation]

    @property
    def active_count(self) -> int:
        return sum(1 for m in self.members if m.is_active)


def staff_page(admin) -> StaffPage:
    """The ward's staff accounts (active first, then by role and address) with whether each
    has a second factor and when it last logged in, and the open invitations. Four queries,
    whatever the number of accounts."""
    ward = _ward(admin, Action.WARD_STAFF_MANAGE)
    members = list(
        _with_second_factor(filter_allowed(admin, Action.WARD_STAFF_MANAGE, User.objects.all()))
        .order_by("-is_active", "role", "email")
        .only(*MEMBER_FIELDS, "municipality_id", "facility_id")
    )
    open_invitations = list(_open_invitations(admin).order_by("-created_at"))
    record_many("list", members, fields=MEMBER_FIELDS)
    record_many("list", open_invitations, fields=invitations.INVITATION_FIELDS)
    return StaffPage(ward, members, open_invitations)


def member(admin, user_id: int) -> User:
    """One of the ward's staff accounts (404 outside the ward or for a facility's staff)."""
    found = get_or_404(
        admin,
        Action.WARD_STAFF_MANAGE,
        _with_second_factor(User.objects.all()),
        pk=user_id,
    )
    record("read", found, fields=MEMBER_FIELDS)
    return found


# --- joiner ------------------------------------------------------------------------------------


def _invite(inviter, ward: Municipality, email: str, role: str) -> Issued:
    try:
        return invitations.issue(
            WardInvitation,
            inviter,
            email=email,
            role=role,
            roles=WARD_ROLES,
            notice=Notice.WARD_STAFF_INVITATION,
            accept_route="municipalities:staff_invite_accept",
            notice_context={
                "municipality_name": str(ward),
                "role_name": str(Role(role).label) if role in Role.values else "",
            },
            municipality=ward,
        )
    except invitations.InvitationRefused as refused:
        raise WardStaffRefused(refused.messages) from None


def invite(admin, email: str, role: str) -> Issued:
    """Invite ``email`` to the ward's staff as ``role``: a one-use link by email, valid
    ``INVITATION_DAYS``; an address that already has an account is refused."""
    with transaction.atomic():
        ward = _ward(admin, Action.WARD_STAFF_MANAGE, lock=True)
        return _invite(admin, ward, email, role)


def withdraw_invitation(admin, invitation_id: int) -> WardInvitation:
    """End an open invitation now: its link no longer works."""
    with transaction.atomic():
        invitation = get_or_404(
            admin,
            Action.WARD_STAFF_MANAGE,
            WardInvitation.objects.select_for_update().filter(
                accepted_at__isnull=True, expires_at__gt=clock.now()
            ),
            pk=invitation_id,
        )
        invitations.withdraw(invitation)
    return invitation


def invitation_for(token: str) -> WardInvitation:
    """The open invitation of ``token``; :class:`WardStaffRefused` says why it cannot be used."""
    try:
        return invitations.open_invitation(
            WardInvitation.unscoped.select_related("municipality"),
            token,
            ask=str(_ASK_ADMINISTRATOR),
        )
    except invitations.InvitationRefused as refused:
        raise WardStaffRefused(refused.messages) from None


def accept_invitation(token: str, password: str, full_name: str = "") -> User:
    """Create the account bound to the ward; the invitation is used up. The person sets up a
    second factor at the first login, from one of the ward's network ranges."""
    try:
        return invitations.accept(
            WardInvitation.unscoped.select_related("municipality"),
            token,
            password=password,
            full_name=full_name,
            ask=str(_ASK_ADMINISTRATOR),
            organisation=lambda invitation: {"municipality": invitation.municipality},
        )
    except invitations.InvitationRefused as refused:
        raise WardStaffRefused(refused.messages) from None


# --- mover and leaver --------------------------------------------------------------------------


def _locked_member(admin, user_id: int) -> tuple[Municipality, User]:
    ward = _ward(admin, Action.WARD_STAFF_MANAGE, lock=True)
    found = get_or_404(
        admin, Action.WARD_STAFF_MANAGE, User.objects.select_for_update(), pk=user_id
    )
    return ward, found


def _other_active_administrators(ward: Municipality, account: User) -> int:
    return (
        User.objects.filter(municipality=ward, role=Role.MUNICIPAL_ADMIN, is_active=True)
        .exclude(pk__in=api_system_users())  # people, not an API client's system user
        .exclude(pk=account.pk)
        .count()
    )


def _keeps_an_administrator(ward: Municipality, account: User) -> None:
    last = (
        account.role == Role.MUNICIPAL_ADMIN
        and account.is_active
        and not _other_active_administrators(ward, account)
    )
    if last:
        raise WardStaffRefused(
            _(
                "This is the ward's last active administrator: make another member of staff "
                "an administrator first."
            )
        )


def change_role(admin, user_id: int, role: str) -> User:
    """Give a member of the ward's staff another role. Their sessions end: they log in again
    with the new role."""
    if role not in WARD_ROLES:
        raise WardStaffRefused(_("Choose one of the roles offered."))
    with transaction.atomic():
        ward, account = _locked_member(admin, user_id)
        if account.pk == admin.pk:
            raise WardStaffRefused(_("You cannot change your own role: ask another administrator."))
        if account.role == role:
            return account
        if role != Role.MUNICIPAL_ADMIN:
            _keeps_an_administrator(ward, account)
        account.role = role
        account.save(update_fields=["role"])
        end_sessions(account)
        record("update", account, fields=["role", "session_epoch"])
    return account


def set_active(admin, user_id: int, active: bool) -> User:
    """Deactivate (the leaver: every session ends at once, no login until reactivated) or
    reactivate an account of the ward's staff."""
    with transaction.atomic():
        ward, account = _locked_member(admin, user_id)
        if account.pk == admin.pk:
            raise WardStaffRefused(_("You cannot deactivate your own account."))
        if account.is_active == active:
            return account
        if not active:
            _keeps_an_administrator(ward, account)
        account.is_active = active
        account.save(update_fields=["is_active"])
        end_sessions(account)
        record("update", account, fields=["is_active", "session_epoch"])
    return account


# --- the national operator starts a ward -------------------------------------------------------


@dataclass(frozen=True)
class WardAccess:
    """What the national operator sees of a ward's access: no person, only counts, dates and
    the ranges (which say where the ward's offices are, not who works there)."""

    municipality: Municipality
    active_administrators: int
    active_staff: int
    open_administrator_invitations: list[WardInvitation]
    networks: list

    @property
    def may_invite_administrator(self) -> bool:
        return self.active_administrators == 0


def ward_access(operator, municipality_id: int) -> WardAccess:
    from tsuen.municipalities.models import StaffNetwork

    ward = get_or_404(
        operator, Action.MUNICIPALITY_ACCESS_SETUP, Municipality.objects.all(), pk=municipality_id
    )
    staff = User.objects.filter(municipality=ward, is_active=True, role__in=WARD_ROLES).exclude(
        pk__in=api_system_users()
    )
    pending = list(
        WardInvitation.objects.filter(
            municipality=ward,
            role=Role.MUNICIPAL_ADMIN,
            accepted_at__isnull=True,
            expires_at__gt=clock.now(),
        ).order_by("-created_at")
    )
    networks = list(StaffNetwork.objects.filter(municipality=ward).order_by("cidr"))
    return WardAccess(
        ward,
        staff.filter(role=Role.MUNICIPAL_ADMIN).count(),
        staff.count(),
        pending,
        networks,
    )


def invite_first_administrator(operator, municipality_id: int, email: str) -> Issued:
    """Invite a ward's administrator from the national screens: only while the ward has no
    active administrator (a new ward, or one whose last administrator left); otherwise the
    ward's administrator invites its own staff."""
    with transaction.atomic():
        ward = get_or_404(
            operator,
            Action.MUNICIPALITY_ACCESS_SETUP,
            Municipality.objects.select_for_update(),
            pk=municipality_id,
        )
        if (
            User.objects.filter(municipality=ward, role=Role.MUNICIPAL_ADMIN, is_active=True)
            .exclude(pk__in=api_system_users())
            .exists()
        ):
            raise WardStaffRefused(
                _(
                    "This ward already has an active administrator, who invites its staff. "
                    "The national operator only invites a ward's first administrator."
                )
            )
        return _invite(operator, ward, email, Role.MUNICIPAL_ADMIN)
