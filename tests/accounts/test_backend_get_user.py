"""The account of every request is read by tsuen's backend (a compiled statement): the same
account as Django's, and nobody for an account that is gone or may not sign in."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user
from django.test import RequestFactory

from tests import factories as f
from tsuen.accounts.backends import StaffNetworkBackend
from tsuen.accounts.models import Role, User
from tsuen.core.dates import WARD_WESTERN_YEARS

pytestmark = pytest.mark.django_db
BACKEND = "tsuen.accounts.backends.StaffNetworkBackend"


#: What the account's read carries besides the account (incident.guard.account_annotations).
SWITCH_NEWS = {"emergency_switches_on", "emergency_latest_revocation"}


def test_the_backend_reads_the_account_as_the_orm_does():
    account = f.user(Role.GUARDIAN)
    found = StaffNetworkBackend().get_user(str(account.pk))
    assert found == account
    read_with = {"_state", *SWITCH_NEWS, WARD_WESTERN_YEARS}
    assert {k: v for k, v in found.__dict__.items() if k not in read_with} == {
        k: v for k, v in User.objects.get(pk=account.pk).__dict__.items() if k != "_state"
    }
    # nothing switched on, no session revoked; a guardian without a household has no ward
    assert (found.emergency_switches_on, found.emergency_latest_revocation) == (False, None)
    assert getattr(found, WARD_WESTERN_YEARS) is None
    assert StaffNetworkBackend().get_user(str(account.pk + 1000)) is None
    assert StaffNetworkBackend().get_user("junk") is None


def test_a_session_of_an_account_that_may_no_longer_sign_in_is_a_visitors(client):
    account = f.user(Role.GUARDIAN)
    client.force_login(account, backend=BACKEND)
    request = RequestFactory().get("/")
    request.session = client.session
    assert get_user(request) == account
    User.objects.filter(pk=account.pk).update(is_active=False)
    assert not get_user(request).is_authenticated
    User.objects.filter(pk=account.pk).update(is_active=True)
    account.delete()
    assert not get_user(request).is_authenticated


def test_the_accounts_read_says_whether_a_switch_is_on_and_the_latest_revocation():
    """incident.guard reads the switches themselves only when this says there is news."""
    from django.utils import timezone

    from tsuen.incident.models import EmergencySwitch, Kind

    staff = f.user(Role.MUNICIPAL_ADMIN, municipality=f.municipality())
    account = f.user(Role.GUARDIAN)
    common = dict(reason="test", started_by=staff, started_at=timezone.now())
    revoke = EmergencySwitch.objects.create(kind=Kind.REVOKE_SESSIONS, **common)
    found = StaffNetworkBackend().get_user(str(account.pk))
    assert (found.emergency_switches_on, found.emergency_latest_revocation) == (False, revoke.pk)
    switch = EmergencySwitch.objects.create(kind=Kind.READ_ONLY, **common)
    assert StaffNetworkBackend().get_user(str(account.pk)).emergency_switches_on is True
    EmergencySwitch.objects.filter(pk=switch.pk).update(released_at=timezone.now())
    assert StaffNetworkBackend().get_user(str(account.pk)).emergency_switches_on is False
