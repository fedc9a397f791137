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
    """A family in ward A with a certified child, a facility caring for the child (a visit next
    week), one that is not."""
    import datetime as dt

    from tsuen.core import clock

    ward = f.municipality()
    guardian, household, child = f.family(ward, given_name="一花", given_name_kana="イチカ")
    today = clock.today()
    f.certification(
        child,
        f.user(Role.MUNICIPAL_REVIEWER, municipality=ward),
        valid_from=today - dt.timedelta(days=100),
        valid_to=today + dt.timedelta(days=300),
    )
    related, unrelated = f.facility(ward), f.facility(ward)
    f.booking(child, f.place_slot(related, today + dt.timedelta(days=7)), guardian)
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
