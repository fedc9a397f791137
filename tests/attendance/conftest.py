import datetime as dt

import pytest

from tests import factories as f
from tsuen.accounts.models import Role

VISIT_DAY = dt.date(2026, 12, 1)  # a Tuesday


class Visit:
    """A ward with a family whose child is booked at a facility on VISIT_DAY 10:00-12:00."""

    def __init__(self):
        self.ward = f.municipality()
        self.guardian, self.household, self.child = f.family(
            self.ward, given_name="一花", pickup_persons=["試験 花子（母）", "試験 次郎（父）"]
        )
        # Certified through the fiscal year: the facility reads the child's care needs while
        # the certification is active (issue 9 item 7).
        f.certification(
            self.child,
            f.user(Role.MUNICIPAL_REVIEWER, municipality=self.ward),
            valid_from=dt.date(2026, 4, 1),
            valid_to=dt.date(2027, 3, 31),
        )
        self.facility = f.facility(self.ward)
        self.slot = f.place_slot(self.facility, VISIT_DAY)
        self.booking = f.booking(self.child, self.slot, self.guardian)
        self.staff = f.user(Role.FACILITY_STAFF, facility=self.facility)
        f.second_factor(self.staff)
        self.other_staff = f.user(Role.FACILITY_STAFF, facility=f.facility(self.ward))


@pytest.fixture
def visit(db):
    return Visit()
