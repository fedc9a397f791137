"""A ward with a facility, a family whose child is booked there on VISIT_DAY, and helpers to
make API clients and call the API over the Django test client."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories as f
from tsuen.accounts.models import Role
from tsuen.api import services as api_services
from tsuen.core import tenancy

VISIT_DAY = dt.date(2026, 12, 1)  # a Tuesday


class Scene:
    def __init__(self):
        self.ward = f.municipality()
        self.admin = f.user(Role.MUNICIPAL_ADMIN, municipality=self.ward)
        self.guardian, self.household, self.child = f.family(self.ward, given_name="一花")
        f.certification(
            self.child,
            f.user(Role.MUNICIPAL_REVIEWER, municipality=self.ward),
            valid_from=dt.date(2026, 4, 1),
            valid_to=dt.date(2027, 3, 31),
        )
        self.facility = f.facility(self.ward)
        self.manager = f.user(Role.FACILITY_MANAGER, facility=self.facility)
        self.slot = f.place_slot(self.facility, VISIT_DAY)
        self.booking = f.booking(self.child, self.slot, self.guardian)
        for account in (self.admin, self.manager):
            f.second_factor(account)
        # Another tenant: another ward with its own facility, family and booking.
        self.other_ward = f.municipality()
        self.other_admin = f.user(Role.MUNICIPAL_ADMIN, municipality=self.other_ward)
        self.other_facility = f.facility(self.other_ward)
        self.other_manager = f.user(Role.FACILITY_MANAGER, facility=self.other_facility)
        og, _, other_child = f.family(self.other_ward, given_name="二葉")
        self.other_slot = f.place_slot(self.other_facility, VISIT_DAY)
        self.other_booking = f.booking(other_child, self.other_slot, og)


@pytest.fixture
def scene(db):
    return Scene()


def make_client(by, scopes, name="テスト連携システム") -> tuple:
    """(client, token) made by ``by`` (a ward administrator or facility manager)."""
    with tenancy.cross_tenant("test set-up"):
        issued = api_services.create(by, name, scopes)
    return issued.client, issued.token


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}
