import datetime as dt

import pytest
from django.utils import timezone

from tests import factories as f
from tsuen.accounts.models import Role
from tsuen.core import clock

#: A Monday; the next four weeks hold 元日 (2027-01-01) and 成人の日 (2027-01-11).
TODAY = dt.date(2026, 12, 21)
NOW = dt.datetime(2026, 12, 21, 9, 0, tzinfo=timezone.get_fixed_timezone(9 * 60))


def day(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def at(days: int, hour: int, minute: int = 0) -> dt.datetime:
    return NOW.replace(hour=hour, minute=minute) + dt.timedelta(days=days)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def ward():
    return f.municipality(name="新宿区")


@pytest.fixture
def family(ward):
    """(guardian user, household, child born 2024-04-10: age class 1 in FY2026)."""
    return f.family(ward)


@pytest.fixture
def fac(ward):
    return f.facility(ward)


@pytest.fixture
def manager(fac):
    """The facility's manager, with the second factor staff need to sign in."""
    account = f.user(Role.FACILITY_MANAGER, facility=fac)
    f.second_factor(account)
    return account
