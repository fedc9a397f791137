"""The ward's staff network ranges: where its staff may use tsuen from (issue 9 item 8).

``municipalities.lgwan`` lets a ward's staff in only from the ward's ranges (``StaffNetwork``).
The ward's administrator keeps them (``Action.STAFF_NETWORK_MANAGE``); the national operator
adds a new ward's first ranges (``Action.MUNICIPALITY_ACCESS_SETUP``), so that the ward's first
administrator can log in at all, and so that a ward that locked itself out can be let in again.

A range is written as CIDR text and read by ``parse_network``; it is refused when it overlaps a
range the ward already has (duplicates included), when it is wider than ``MIN_PREFIX`` (such as
0.0.0.0/0, which would open the ward to the whole internet), when it is not an office network
at all (unspecified, multicast, link-local, reserved addresses), or when it is the loopback
range outside DEBUG (behind a reverse proxy every request may come from 127.0.0.1).

Removing a range asks for confirmation when it covers the address the administrator is using
now (they lock themselves out), and when it is the ward's last range while the ward has active
staff (with TSUEN_LGWAN_REQUIRED every one of them is locked out; without it, the ward is open
to every address). Every change is audited with the field names ``cidr`` and ``note``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tsuen.accounts.models import MUNICIPAL_ROLES, User
from tsuen.audit import record, record_many
from tsuen.authz.policy import Action, filter_allowed, get_or_404, require
from tsuen.municipalities.models import Municipality, StaffNetwork, parse_network

#: The widest range accepted: an IPv4 /8 (a whole 10.0.0.0/8 intranet is plausible) or an IPv6
#: /32 (a whole provider allocation). Anything wider is no office network.
MIN_PREFIX = {4: 8, 6: 32}
NETWORK_FIELDS = ("cidr", "note")
NOTE_MAX_LENGTH = 100


class NetworkRefused(ValidationError):
    """The range is refused, or its removal needs a confirmation; nothing was written."""


def lgwan_required() -> bool:
    """Whether a ward without any range refuses its staff (``municipalities.lgwan``)."""
    return bool(getattr(settings, "LGWAN_REQUIRED", False))


def covers(cidr: str, address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    network = parse_network(cidr)
    return ip.version == network.version and ip in network


def checked(text: str):
    """The network ``text`` names, or :class:`NetworkRefused` saying why it cannot be one of a
    ward's office ranges."""
    try:
        network = parse_network(text or "")
    except ValidationError as error:
        raise NetworkRefused(error.messages) from None
    if network.prefixlen < MIN_PREFIX[network.version]:
        raise NetworkRefused(
            _(
                "“%(cidr)s” is far too wide for an office network: write a range of at most "
                "/%(v4)d (IPv4) or /%(v6)d (IPv6)."
            )
            % {"cidr": network, "v4": MIN_PREFIX[4], "v6": MIN_PREFIX[6]}
        )
    address = network.network_address
    if (
        address.is_unspecified
        or network.is_multicast
        or network.is_link_local
        or network.is_reserved
    ):
        raise NetworkRefused(
            _("“%(cidr)s” is not an office network (reserved or special-purpose addresses).")
            % {"cidr": network}
        )
    if network.is_loopback and not settings.DEBUG:
        raise NetworkRefused(
            _(
                "The loopback range is for a demo on one computer only: behind a reverse "
                "proxy it would let in everyone."
            )
        )
    return network


def _active_staff(ward: Municipality) -> int:
    return User.objects.filter(
        municipality=ward, is_active=True, role__in=sorted(MUNICIPAL_ROLES)
    ).count()


# --- the page ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NetworkRow:
    network: StaffNetwork
    covers_you: bool


@dataclass(frozen=True)
class NetworksPage:
    municipality: Municipality
    rows: list[NetworkRow]
    address: str | None  # the address the administrator is using now
    active_staff: int

    @property
    def lgwan_required(self) -> bool:
        return lgwan_required()

    @property
    def you_are_covered(self) -> bool:
        return any(row.covers_you for row in self.rows)


def _ward(user, *, lock: bool = False) -> Municipality:
    require(user, Action.STAFF_NETWORK_MANAGE, Municipality)
    rows = Municipality.objects.select_for_update() if lock else Municipality.objects.all()
    return get_or_404(user, Action.STAFF_NETWORK_MANAGE, rows, pk=user.municipality_id)


def networks_page(admin, address: str | None) -> NetworksPage:
    ward = _ward(admin)
    networks = list(
        filter_allowed(admin, Action.STAFF_NETWORK_MANAGE, StaffNetwork.objects.all()).order_by(
            "cidr", "pk"
        )
    )
    record_many("list", networks, fields=NETWORK_FIELDS)
    rows = [NetworkRow(n, covers(n.cidr, address)) for n in networks]
    return NetworksPage(ward, rows, address, _active_staff(ward))


# --- adding ------------------------------------------------------------------------------------


def _add(ward: Municipality, text: str, note: str) -> StaffNetwork:
    """Add a range to ``ward`` (locked and authorized by the caller)."""
    network = checked(text)
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise NetworkRefused(_("Write at most %(chars)d characters.") % {"chars": NOTE_MAX_LENGTH})
    for existing in StaffNetwork.objects.filter(municipality=ward).order_by("pk"):
        other = parse_network(existing.cidr)
        if other.version == network.version and other.overlaps(network):
            raise NetworkRefused(
                _("“%(cidr)s” overlaps the ward's range %(other)s.")
                % {"cidr": network, "other": existing.cidr}
            )
    try:
        with transaction.atomic():
            row = StaffNetwork.objects.create(municipality=ward, cidr=str(network), note=note)
    except IntegrityError:  # the unique constraint: written between the check and the insert
        raise NetworkRefused(_("The ward already has this range.")) from None
    record("create", row, fields=NETWORK_FIELDS)
    return row


def add(admin, cidr: str, note: str = "") -> StaffNetwork:
    with transaction.atomic():
        return _add(_ward(admin, lock=True), cidr, note)


def add_for_ward(operator, municipality_id: int, cidr: str, note: str = "") -> StaffNetwork:
    """The national operator adds a range to a ward (its first one, or to let it in again)."""
    with transaction.atomic():
        ward = get_or_404(
            operator,
            Action.MUNICIPALITY_ACCESS_SETUP,
            Municipality.objects.select_for_update(),
            pk=municipality_id,
        )
        return _add(ward, cidr, note)


# --- removing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Removal:
    """What removing one range would do, for the confirmation page."""

    network: StaffNetwork
    covers_you: bool  # the administrator's own address is in it (and in no other range)
    last_range: bool
    active_staff: int

    @property
    def lgwan_required(self) -> bool:
        return lgwan_required()

    @property
    def locks_staff_out(self) -> bool:
        """The last range, with active staff: they lose access (or, without LGWAN required,
        the ward is opened to every address): the removal needs its own confirmation."""
        return self.last_range and self.active_staff > 0


def _removal(ward: Municipality, network: StaffNetwork, address: str | None) -> Removal:
    others = list(StaffNetwork.objects.filter(municipality=ward).exclude(pk=network.pk))
    covered_elsewhere = any(covers(other.cidr, address) for other in others)
    return Removal(
        network,
        covers(network.cidr, address) and not covered_elsewhere,
        not others,
        _active_staff(ward),
    )


def removal(admin, network_id: int, address: str | None) -> Removal:
    ward = _ward(admin)
    network = get_or_404(
        admin, Action.STAFF_NETWORK_MANAGE, StaffNetwork.objects.all(), pk=network_id
    )
    record("read", network, fields=NETWORK_FIELDS)
    return _removal(ward, network, address)


def remove(
    admin,
    network_id: int,
    address: str | None,
    *,
    confirm_own_address: bool = False,
    confirm_lockout: bool = False,
) -> Removal:
    """Remove a range, once the confirmations its removal needs were given."""
    with transaction.atomic():
        ward = _ward(admin, lock=True)
        network = get_or_404(
            admin,
            Action.STAFF_NETWORK_MANAGE,
            StaffNetwork.objects.select_for_update(),
            pk=network_id,
        )
        found = _removal(ward, network, address)
        problems = []
        if found.covers_you and not confirm_own_address:
            problems.append(
                _(
                    "This range covers the address you are using now: confirm that you will "
                    "lose access at once."
                )
            )
        if found.locks_staff_out and not confirm_lockout:
            problems.append(
                _("This is the ward's last range: confirm what removing it does to its staff.")
            )
        if problems:
            raise NetworkRefused(problems)
        record("delete", network, fields=NETWORK_FIELDS)
        network.delete()
    return found
