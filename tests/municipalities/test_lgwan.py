"""Municipal staff reach tsuen only from their municipality's networks (LGWAN allow-list)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests import factories as f
from tsuen.accounts.models import Role
from tsuen.accounts.services import create_user, enable_totp, totp_code
from tsuen.accounts.testing import login_with_second_factor
from tsuen.audit.models import AuditEvent
from tsuen.municipalities.models import StaffNetwork

pytestmark = pytest.mark.django_db
INSIDE, OUTSIDE = "192.0.2.10", "198.51.100.7"


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


def test_a_login_from_outside_is_refused(client, reviewer, django_capture_on_commit_callbacks):
    """Password, then the one-time code: the moment the login completes outside the network,
    it is undone, refused and recorded."""
    secret = enable_totp(reviewer)  # a fresh secret whose current code the test knows
    response = client.post(
        reverse("account_login"),
        {"login": reviewer.email, "password": f.PASSWORD},
        REMOTE_ADDR=OUTSIDE,
    )
    assert response.url == reverse("mfa_authenticate")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("mfa_authenticate"), {"code": totp_code(secret)}, REMOTE_ADDR=OUTSIDE
        )
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action="denied", actor_id=reviewer.pk).exists()
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
