"""Staff sessions end after 30 minutes without a request; guardians keep the normal session."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests.accounts.conftest import logged_in_user_id
from tsuen.accounts import services
from tsuen.accounts.testing import login_with_second_factor
from tsuen.core import clock

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.accounts.urls")]

PROBE = "/probe/"


@pytest.fixture
def at(client, staff):
    """Log a staff member in now; ``at(m)`` freezes the clock ``m`` minutes later."""
    start = clock.now()
    services.enable_totp(staff)
    with clock.frozen(start):
        login_with_second_factor(client, staff)
    return lambda minutes: clock.frozen(start + dt.timedelta(minutes=minutes))


def test_idle_timeout_is_thirty_minutes(settings):
    assert settings.STAFF_SESSION_IDLE_SECONDS == 30 * 60


def test_staff_is_signed_out_after_thirty_idle_minutes(client, at):
    with at(29):
        assert client.get(PROBE).status_code == 200
    with at(29 + 31):
        response = client.get(PROBE, headers={"accept-language": "en"})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next=/probe/"
    assert logged_in_user_id(client) is None
    page = client.get(response["Location"], headers={"accept-language": "en"})
    assert "signed out after 30 minutes without activity" in page.content.decode()


def test_the_timeout_message_is_japanese_by_default(client, at):
    with at(31):
        response = client.get(PROBE, follow=True)
    assert "30分間操作がなかったため、ログアウトしました。" in response.content.decode()


def test_activity_keeps_staff_signed_in(client, at):
    for minutes in [20, 40, 60, 80, 100]:
        with at(minutes):
            assert client.get(PROBE).status_code == 200, minutes


def test_the_clock_starts_at_login(client, at):
    with at(30.5):
        assert client.get(PROBE).status_code == 302


def test_guardian_sessions_have_no_staff_idle_timeout(client, guardian):
    login_with_second_factor(client, guardian)
    with clock.frozen(clock.now() + dt.timedelta(hours=3)):
        assert client.get(PROBE).status_code == 200
