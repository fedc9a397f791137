"""The ward's facility register (issue 5, item 5): the municipality registers its facilities,
edits them, invites each one's manager, and suspends or reinstates them.

The ward's case workers (reviewer, payments officer, administrator) read the register
(``Action.FACILITY_WARD_VIEW``); only its administrator changes it (``FACILITY_SUPERVISE``).
Another ward's facilities answer 404. Every change is one transaction with an audit event;
bad input raises :class:`StaffRefused` listing every problem, and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from tsuen.audit import record, record_many
from tsuen.authz.policy import Action, allows, filter_allowed, get_or_404, require
from tsuen.booking.models import HOLDING_STATUSES, Booking
from tsuen.core import clock, postal
from tsuen.facilities.checks import (
    REGISTER_FIELDS,
    facility_number_problems,
    facility_problems,
    normalised,
)
from tsuen.facilities.models import Facility, FacilitySuspension, StaffInvitation
from tsuen.facilities.services_staff import (
    StaffInvited,
    StaffRefused,
    send_invitation,
    template_outside,
)


def _checked(values: dict, municipality, facility_id: int | None = None) -> dict:
    """The values checked (every problem listed) and normalised; ``municipality`` is the
    facility's, whose prefecture begins the facility number."""
    unknown = set(values) - set(REGISTER_FIELDS)
    if unknown:
        raise ValueError(f"not register fields: {sorted(unknown)}")
    values = values | {"facility_number": normalised(values.get("facility_number"))}
    problems = facility_problems(values)
    number = values["facility_number"]
    if number and not problems:
        problems += facility_number_problems(number, municipality.code[:2])
    if (
        number
        and not problems
        and Facility.unscoped.filter(facility_number=number).exclude(pk=facility_id).exists()
    ):
        problems.append(_("Another facility already has this facility number."))
    if problems:
        raise StaffRefused(problems)
    digits = postal.normalise_code(values["postal_code"])
    return values | {"postal_code": f"{digits[:3]}-{digits[3:]}"}


# --- the register --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterFilters:
    name: str = ""
    facility_type: str = ""
    suspended: str = ""  # "" all, "yes", "no"
    facility_number: str = ""  # "" all, "missing" (cannot submit claims yet), "registered"


def _with_manager_state(queryset):
    from tsuen.accounts.models import Role, User

    managers = User.objects.filter(facility=OuterRef("pk"), role=Role.FACILITY_MANAGER)
    invited = StaffInvitation.unscoped.filter(
        facility=OuterRef("pk"),
        role=Role.FACILITY_MANAGER,
        accepted_at__isnull=True,
        expires_at__gt=clock.now(),
    )
    return queryset.annotate(
        manager_active=Exists(managers.filter(is_active=True)),
        manager_invited=Exists(invited),
    )


def may_view_register(user) -> None:
    """404 unless ``user`` may read the ward's facility register."""
    require(user, Action.FACILITY_WARD_VIEW, Facility)


def register(user, filters: RegisterFilters = RegisterFilters()) -> QuerySet[Facility]:
    """The ward's facilities with ``manager_active`` and ``manager_invited``, by kana name
    (a query: the page takes a constant number of queries whatever the number of facilities)."""
    may_view_register(user)
    facilities = filter_allowed(user, Action.FACILITY_WARD_VIEW, Facility.objects.all())
    if filters.name.strip():
        text = filters.name.strip()
        facilities = facilities.filter(Q(name__icontains=text) | Q(name_kana__icontains=text))
    if filters.facility_type:
        facilities = facilities.filter(facility_type=filters.facility_type)
    if filters.suspended in ("yes", "no"):
        facilities = facilities.filter(suspended=filters.suspended == "yes")
    if filters.facility_number == "missing":
        facilities = facilities.filter(facility_number="")
    elif filters.facility_number == "registered":
        facilities = facilities.exclude(facility_number="")
    return _with_manager_state(facilities).order_by("name_kana", "name", "pk")


def future_bookings(facility: Facility, today: dt.date | None = None) -> int:
    """The bookings still held at the facility from today on (they stay when it is suspended)."""
    return Booking.unscoped.filter(
        facility=facility, date__gte=today or clock.today(), status__in=HOLDING_STATUSES
    ).count()


@dataclass
class WardFacility:
    facility: Facility
    managers: list  # the facility's manager accounts
    invitations: list[StaffInvitation]  # open manager invitations
    history: list[FacilitySuspension]
    future_bookings: int
    can_supervise: bool


def ward_facility(user, facility_id: int) -> WardFacility:
    """One facility as its ward sees it: data, managers, open invitations, suspensions."""
    from tsuen.accounts.models import Role, User

    facility = get_or_404(user, Action.FACILITY_WARD_VIEW, Facility.objects.all(), pk=facility_id)
    managers = list(
        User.objects.filter(facility=facility, role=Role.FACILITY_MANAGER)
        .order_by("email")
        .only("pk", "email", "is_active", "facility_id")
    )
    invitations = list(
        StaffInvitation.objects.filter(
            facility=facility,
            role=Role.FACILITY_MANAGER,
            accepted_at__isnull=True,
            expires_at__gt=clock.now(),
        )
    )
    history = list(
        FacilitySuspension.objects.filter(facility=facility).select_related("changed_by")
    )
    if managers:
        record_many("list", managers, fields=["email", "is_active"])
    if invitations:
        record_many("list", invitations, fields=["email", "expires_at"])
    return WardFacility(
        facility,
        managers,
        invitations,
        history,
        future_bookings(facility),
        allows(user, Action.FACILITY_SUPERVISE, facility),
    )


def facility_to_supervise(admin, facility_id: int) -> Facility:
    return get_or_404(admin, Action.FACILITY_SUPERVISE, Facility.objects.all(), pk=facility_id)


def may_register(user) -> bool:
    from tsuen.municipalities.models import Municipality

    return bool(
        user.is_authenticated
        and user.municipality_id
        and filter_allowed(
            user, Action.FACILITY_SUPERVISE, Municipality.objects.filter(pk=user.municipality_id)
        ).exists()
    )


# --- changes -------------------------------------------------------------------------------------


def register_facility(admin, values: dict) -> Facility:
    """Register a facility of the administrator's own municipality."""
    from django.http import Http404

    if not may_register(admin):
        raise Http404
    values = _checked(values, admin.municipality)
    with transaction.atomic():
        facility = Facility.objects.create(municipality_id=admin.municipality_id, **values)
        record("create", facility, fields=list(values))
    return facility


def update_facility(admin, facility_id: int, values: dict) -> Facility:
    facility = facility_to_supervise(admin, facility_id)
    values = _checked(values, facility.municipality, facility_id)
    with transaction.atomic():
        facility = Facility.objects.select_for_update().get(pk=facility_id)
        outside = template_outside(facility, values)
        if outside:
            raise StaffRefused(outside)
        changed = [name for name, value in values.items() if getattr(facility, name) != value]
        for name in changed:
            setattr(facility, name, values[name])
        if changed:
            facility.save(update_fields=changed)
            record("update", facility, fields=changed)
    return facility


def invite_manager(admin, facility_id: int, email: str) -> StaffInvited:
    """Invite the facility's manager: the facility's own invitation (one-use link, second
    factor set up at the first login), sent by the ward."""
    from tsuen.accounts.models import Role

    facility = facility_to_supervise(admin, facility_id)
    return send_invitation(admin, lambda: facility, email, Role.FACILITY_MANAGER)


def set_suspended(admin, facility_id: int, suspended: bool, reason: str = "") -> Facility:
    """Suspend (a reason is required) or reinstate a facility. A suspended facility takes no
    new bookings and leaves the search; its bookings already made stay."""
    reason = (reason or "").strip()
    facility_to_supervise(admin, facility_id)
    if suspended and not reason:
        raise StaffRefused(_("Give the reason for the suspension."))
    with transaction.atomic():
        facility = Facility.objects.select_for_update().get(pk=facility_id)
        if facility.suspended == suspended:
            raise StaffRefused(
                _("This facility is already suspended.")
                if suspended
                else _("This facility is not suspended.")
            )
        facility.suspended = suspended
        facility.save(update_fields=["suspended"])
        change = FacilitySuspension.objects.create(
            facility=facility,
            suspended=suspended,
            reason=reason,
            changed_by=admin,
            changed_at=clock.now(),
        )
        record("update", facility, fields=["suspended"])
        record("create", change, fields=["suspended", "reason"])
    return facility
