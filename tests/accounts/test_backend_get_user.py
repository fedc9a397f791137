"""The account of every request is read by tsuen's backend (a compiled statement): the same
account as Django's, and nobody for an account that is gone or may not sign in."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user
from django.test import RequestFactory

from tests import factories as f
from tsuen.accounts.backends import StaffNetworkBackend
from tsuen.accounts.models import Role, User

pytestmark = pytest.mark.django_db
BACKEND = "tsuen.accounts.backends.StaffNetworkBackend"


def test_the_backend_reads_the_account_as_the_orm_does():
    account = f.user(Role.GUARDIAN)
    found = StaffNetworkBackend().get_user(str(account.pk))
    assert found == account
    assert {k: v for k, v in found.__dict__.items() if k != "_state"} == {
        k: v for k, v in User.objects.get(pk=account.pk).__dict__.items() if k != "_state"
    }
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
