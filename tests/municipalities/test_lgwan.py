"""Municipal staff reach tsuen only from their municipality's networks (LGWAN allow-list)."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from tests import cachekeys
from tests import factories as f
from tests.accounts.conftest import page_text
from tsuen.accounts.models import Role
from tsuen.accounts.services import create_user
from tsuen.accounts.testing import login_with_second_factor
from tsuen.audit.models import AuditEvent
from tsuen.municipalities.models import StaffNetwork

pytestmark = pytest.mark.django_db
INSIDE, OUTSIDE, OUTSIDE_TOO = "192.0.2.10", "198.51.100.7", "198.51.100.8"


@pytest.fixture(autouse=True)
def _fresh_limits():
    cachekeys.forget_this_tests_keys()  # allauth's login throttles live in the cache
    yield
    cachekeys.forget_this_tests_keys()


@pytest.fixture
def reviewer():
    muni = f.municipality()
    StaffNetwork.objects.create(municipality=muni, cidr="192.0.2.0/24")
    user = create_user("lgwan@example.jp", f.PASSWORD, Role.MUNICIPAL_REVIEWER, municipality=muni)
    f.second_factor(user)
    return user


def test_staff_inside_the_network_work_as_usual(client, reviewer):
    login_with_second_factor(client, reviewer)
    response = client.get(reverse("portals:municipality"), REMOTE_ADDR=INSIDE)
    assert response.status_code == 200


def test_a_request_from_outside_is_refused_recorded_and_logged_out(
    client, reviewer, django_capture_on_commit_callbacks
):
    login_with_second_factor(client, reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("portals:municipality"), REMOTE_ADDR=OUTSIDE)
    assert response.status_code == 403
    assert "LGWAN" in response.text
    event = AuditEvent.objects.get(action="denied")
    assert (event.actor_id, event.source_address) == (reviewer.pk, OUTSIDE)
    assert event.municipality_id == reviewer.municipality_id
    # the session is gone: even from inside, the next request must log in again
    assert client.get(reverse("portals:municipality"), REMOTE_ADDR=INSIDE).status_code == 302


def _login(address: str, email: str, password: str):
    client = Client(REMOTE_ADDR=address)
    return client, client.post(reverse("account_login"), {"login": email, "password": password})


def test_a_right_password_from_outside_fails_like_a_wrong_one(
    reviewer, django_capture_on_commit_callbacks
):
    """The network check is part of the password step: outside the staff networks, the right
    password gets exactly the answer a wrong one gets (nothing tells the person at the keyboard
    that they guessed right), and the refusal is recorded as "denied"."""
    with django_capture_on_commit_callbacks(execute=True):
        right_client, right = _login(OUTSIDE, reviewer.email, f.PASSWORD)
        _, wrong = _login(OUTSIDE_TOO, reviewer.email, "not-the-password")
    assert right.status_code == wrong.status_code == 200
    assert page_text(right) == page_text(wrong)
    assert "_auth_user_id" not in right_client.session
    assert not right_client.session.get("account_login")  # no second-factor stage pending
    denied = AuditEvent.objects.get(action="denied")
    assert (denied.actor_id, denied.source_address) == (reviewer.pk, OUTSIDE)
    assert denied.municipality_id == reviewer.municipality_id
    assert (denied.object_type, denied.object_id) == ("accounts.user", str(reviewer.pk))
    # the refusal stands in for the failed-login event; the wrong password writes its own
    failed = AuditEvent.objects.get(action="login_failed")
    assert failed.source_address == OUTSIDE_TOO


def test_a_right_password_from_inside_goes_on_to_the_second_factor(reviewer):
    _, response = _login(INSIDE, reviewer.email, f.PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")


def test_a_ward_without_ranges_refuses_its_staff_at_the_password_step():
    muni = f.municipality(staff_networks=())
    user = create_user("norange@example.jp", f.PASSWORD, Role.MUNICIPAL_REVIEWER, municipality=muni)
    f.second_factor(user)
    client, response = _login("127.0.0.1", user.email, f.PASSWORD)
    assert response.status_code == 200  # the login form again, with the generic error
    assert "_auth_user_id" not in client.session


def test_a_session_that_logged_in_without_the_password_step_is_refused_afterwards(
    client, reviewer, django_capture_on_commit_callbacks
):
    """A passkey login passes no password backend: the middleware refuses the session as soon
    as it exists, outside the networks."""
    with django_capture_on_commit_callbacks(execute=True):
        login_with_second_factor(client, reviewer)
        response = client.get(reverse("portals:municipality"), REMOTE_ADDR=OUTSIDE)
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_families_and_facilities_are_not_bound_to_a_network(client):
    guardian = f.user(Role.GUARDIAN)
    client.force_login(guardian)
    assert client.get(reverse("portals:guardian"), REMOTE_ADDR=OUTSIDE).status_code == 200


def test_the_allow_list_is_required_outside_debug():
    import tsuen.settings as project_settings

    assert not project_settings.DEBUG and project_settings.LGWAN_REQUIRED


def test_without_ranges_staff_are_refused(client, settings, reviewer):
    StaffNetwork.objects.all().delete()
    login_with_second_factor(client, reviewer)
    assert client.get(reverse("portals:municipality"), REMOTE_ADDR=OUTSIDE).status_code == 403
    login_with_second_factor(client, reviewer)
    assert client.get(reverse("portals:municipality")).status_code == 403  # even from loopback
    # Only a development server may switch the allow-list off (TSUEN_LGWAN_REQUIRED=0).
    settings.LGWAN_REQUIRED = False
    login_with_second_factor(client, reviewer)
    assert client.get(reverse("portals:municipality"), REMOTE_ADDR=OUTSIDE).status_code == 200


@pytest.mark.parametrize("bad", ["192.0.2.0/33", "not-an-address", "300.1.1.1/24", ""])
def test_a_range_that_does_not_parse_is_refused_with_a_clear_message(bad):
    network = StaffNetwork(municipality=f.municipality(staff_networks=()), cidr=bad)
    with pytest.raises(ValidationError) as caught:
        network.full_clean()
    assert "cidr" in caught.value.message_dict
    assert not StaffNetwork.objects.exists()


def test_ipv6_ranges_work():
    from tsuen.municipalities.lgwan import allowed

    muni = f.municipality(staff_networks=())
    StaffNetwork.objects.create(municipality=muni, cidr="2001:db8::/32")
    assert allowed(muni.pk, "2001:db8::1") and not allowed(muni.pk, "2001:db9::1")
    assert not allowed(muni.pk, "192.0.2.1")
