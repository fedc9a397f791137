import pytest

from tests import factories as f
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor


@pytest.fixture(autouse=True)
def _mail_at_once(settings):
    """Notices go through django.tasks; the immediate backend sends them when enqueued."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def world():
    """A family in ward A, a facility caring for the child, one that is not."""
    import datetime as dt

    ward = f.municipality()
    guardian, household, child = f.family(ward, given_name="一花", given_name_kana="イチカ")
    related, unrelated = f.facility(ward), f.facility(ward)
    f.booking(child, f.place_slot(related, dt.date(2026, 12, 1)), guardian)
    staff = f.user(Role.FACILITY_STAFF, facility=related)
    other_staff = f.user(Role.FACILITY_STAFF, facility=unrelated)
    for account in (staff, other_staff):
        f.second_factor(account)
    return dict(
        ward=ward,
        guardian=guardian,
        household=household,
        child=child,
        staff=staff,
        other_staff=other_staff,
    )


@pytest.fixture
def as_user(client):
    def login(account):
        if account.needs_second_factor:
            login_with_second_factor(client, account)
        else:
            client.force_login(account)
        return client

    return login
