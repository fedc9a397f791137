"""The fixed list of scopes an API client may hold (docs/api.md, "Scopes").

A scope only *narrows* which operations a client may call. What a call may reach is decided
as for a person: by the client's own system user (its role, ward or facility) through the
services and ``tsuen.authz.policy`` (404 outside reach). A call without its operation's scope
answers 403.

Each scope names the owners that may hold it (a ward's client or a facility's) and the roles
of the system user that can serve it: a client acts as the least privileged role that serves
every scope it was given (:func:`role_for`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from tsuen.accounts.models import Role

WARD = "ward"
FACILITY = "facility"


@dataclass(frozen=True)
class Scope:
    name: str
    owner: str  # WARD or FACILITY
    label: object  # lazy, translated
    roles: tuple[str, ...]  # the system user's roles that serve it, least privileged first


#: Least privileged first: a client acts as the first role that serves all its scopes.
ROLE_ORDER = {
    WARD: (Role.MUNICIPAL_REVIEWER, Role.MUNICIPAL_PAYMENTS, Role.MUNICIPAL_ADMIN),
    FACILITY: (Role.FACILITY_STAFF, Role.FACILITY_MANAGER),
}

_STAFF = (Role.FACILITY_STAFF, Role.FACILITY_MANAGER)
_MANAGER = (Role.FACILITY_MANAGER,)

SCOPES: tuple[Scope, ...] = (
    # A facility's own system (childcare ICT: attendance, 連絡帳, billing).
    Scope(
        "facility.bookings.read",
        FACILITY,
        _("Read the day's bookings with the care fields the room needs"),
        _STAFF,
    ),
    Scope(
        "facility.attendance.write",
        FACILITY,
        _("Check children in and out, mark no-shows"),
        _STAFF,
    ),
    Scope(
        "facility.records.write",
        FACILITY,
        _("Read and write daily records (draft and publish)"),
        _STAFF,
    ),
    Scope("facility.places.read", FACILITY, _("Read the facility's places"), _MANAGER),
    Scope("facility.capacity.write", FACILITY, _("Change the places of a single day"), _MANAGER),
    Scope("facility.claims.read", FACILITY, _("Read the month's claim status"), _MANAGER),
    # A ward's back-office systems (住民記録, 住民税, 子ども・子育て支援).
    Scope(
        "ward.certifications.read",
        WARD,
        _("Read certifications and their changes"),
        (Role.MUNICIPAL_REVIEWER, Role.MUNICIPAL_ADMIN),
    ),
    Scope(
        "ward.fee_classes.write",
        WARD,
        _("Write fee-class decisions from the tax system"),
        (Role.MUNICIPAL_REVIEWER, Role.MUNICIPAL_ADMIN),
    ),
    Scope(
        "ward.claims.read",
        WARD,
        _("Read claims and their payment status"),
        (Role.MUNICIPAL_PAYMENTS, Role.MUNICIPAL_ADMIN),
    ),
    Scope(
        "ward.facilities.read",
        WARD,
        _("Read the ward's facility register"),
        (Role.MUNICIPAL_REVIEWER, Role.MUNICIPAL_PAYMENTS, Role.MUNICIPAL_ADMIN),
    ),
)

BY_NAME: dict[str, Scope] = {s.name: s for s in SCOPES}
NAMES = frozenset(BY_NAME)


def for_owner(owner: str) -> list[Scope]:
    """The scopes a ward's (``WARD``) or a facility's (``FACILITY``) client may hold."""
    return [s for s in SCOPES if s.owner == owner]


def role_for(owner: str, names) -> str:
    """The least privileged role of ``owner``'s staff that serves every scope in ``names``."""
    chosen = [BY_NAME[n] for n in names]
    for role in ROLE_ORDER[owner]:
        if all(role in s.roles for s in chosen):
            return role
    raise ValueError(f"no single role serves {sorted(names)}")
