"""Whose address a request comes from (tsuen.core.middleware.client_address): REMOTE_ADDR,
unless the peer is a trusted reverse proxy (TSUEN_TRUSTED_PROXIES); then the right-most
X-Forwarded-For entry that is not itself a trusted proxy. Spoofed headers from anyone else are
ignored; anything malformed where the client should be gives no address at all."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from tests import cachekeys
from tests import factories as f
from tsuen.accounts.models import Role
from tsuen.accounts.services import create_user
from tsuen.accounts.testing import login_with_second_factor
from tsuen.audit.models import AuditEvent
from tsuen.core.middleware import client_address, parse_address
from tsuen.municipalities.models import StaffNetwork

PROXY, PROXY_NET, EDGE = "10.0.0.5", "10.1.0.0/16", "10.1.2.3"
LGWAN = "192.0.2.10"  # the ward's staff network (192.0.2.0/24)
ATTACKER = "203.0.113.66"


def address(remote: str | None, xff: str | None = None) -> str | None:
    meta = {}
    if xff is not None:
        meta["HTTP_X_FORWARDED_FOR"] = xff
    request = RequestFactory().get("/", **meta)
    if remote is None:
        del request.META["REMOTE_ADDR"]
    else:
        request.META["REMOTE_ADDR"] = remote
    return client_address(request)


@pytest.fixture
def proxies(settings):
    settings.TRUSTED_PROXIES = [PROXY + "/32", PROXY_NET]


def test_without_trusted_proxies_forwarded_for_is_never_read(settings):
    settings.TRUSTED_PROXIES = []
    assert address(ATTACKER, LGWAN) == ATTACKER
    assert address(PROXY, LGWAN) == PROXY


@pytest.mark.usefixtures("proxies")
class TestBehindProxies:
    def test_an_untrusted_peer_is_itself_the_client_whatever_it_claims(self):
        assert address(ATTACKER, LGWAN) == ATTACKER
        assert address(ATTACKER, f"{LGWAN}, {PROXY}") == ATTACKER

    def test_the_entry_the_proxy_appended_is_the_client(self):
        assert address(PROXY, LGWAN) == LGWAN

    def test_what_the_client_wrote_to_the_left_is_ignored(self):
        # the attacker sent "X-Forwarded-For: 192.0.2.10"; the proxy appended what it saw
        assert address(PROXY, f"{LGWAN}, {ATTACKER}") == ATTACKER

    def test_a_chain_of_trusted_proxies_is_walked_from_the_right(self):
        assert address(PROXY, f"{LGWAN}, {ATTACKER}, {EDGE}") == ATTACKER
        assert address(PROXY, f"{ATTACKER}, {EDGE}") == ATTACKER
        assert address(EDGE, f"{LGWAN},{EDGE}, {PROXY}") == LGWAN

    def test_a_request_from_the_proxy_itself(self):
        assert address(PROXY) == PROXY
        assert address(PROXY, "") == PROXY
        assert address(PROXY, EDGE) == EDGE  # every hop a proxy: the left-most of them

    def test_ipv6(self, settings):
        settings.TRUSTED_PROXIES = ["fd00::/64"]
        assert address("fd00::1", "2001:db8::7") == "2001:db8::7"
        assert address("fd00::1", "[2001:db8::7]:4711, fd00::2") == "2001:db8::7"
        assert address("2001:db8::66", "2001:db8::7") == "2001:db8::66"
        assert address("fd00::1", "2001:DB8:0:0:0:0:0:7") == "2001:db8::7"  # one spelling

    def test_ports_and_mapped_addresses(self):
        assert address(PROXY, "192.0.2.10:51234") == LGWAN
        assert address(PROXY, "::ffff:192.0.2.10") == LGWAN
        assert address("::ffff:10.0.0.5", LGWAN) == LGWAN  # a dual-stack socket's peer

    @pytest.mark.parametrize(
        "garbage",
        [
            "unknown",
            "192.0.2.10.evil",
            "<script>",
            "192.0.2.10 192.0.2.11",
            "[2001:db8::1",
            "[2001:db8::1]x",
            "192.0.2.10:port",
            "fe80::1%eth0",
            "1" * 200,
            ",",
        ],
    )
    def test_garbage_where_the_client_should_be_gives_no_address(self, garbage):
        assert address(PROXY, garbage) is None
        assert address(PROXY, f"{LGWAN}, {garbage}") is None
        assert address(PROXY, f"{garbage}, {EDGE}") is None

    def test_garbage_left_of_the_client_does_not_matter(self):
        assert address(PROXY, f"nonsense, {ATTACKER}") == ATTACKER

    def test_a_peer_address_that_does_not_parse(self):
        assert address(None, LGWAN) is None
        assert address("", LGWAN) is None
        assert address("not-an-ip", LGWAN) is None


def test_parse_address_forms():
    assert str(parse_address(" 192.0.2.1 ")) == "192.0.2.1"
    assert str(parse_address("[2001:db8::1]")) == "2001:db8::1"
    assert parse_address("2001:db8::1:443") is not None  # an IPv6 address, not a port
    assert parse_address(None) is None


# --- through the whole stack: the staff network check and the audit trail ----------------------


@pytest.fixture
def reviewer(db):
    cachekeys.forget_this_tests_keys()
    ward = f.municipality(staff_networks=())
    StaffNetwork.objects.create(municipality=ward, cidr="192.0.2.0/24")
    user = create_user("xff@example.jp", f.PASSWORD, Role.MUNICIPAL_REVIEWER, municipality=ward)
    f.second_factor(user)
    yield user
    cachekeys.forget_this_tests_keys()


def _portal(peer: str, xff: str | None = None, user=None):
    client = Client(REMOTE_ADDR=peer)
    login_with_second_factor(client, user)
    headers = {"x-forwarded-for": xff} if xff is not None else {}
    return client.get(reverse("portals:municipality"), headers=headers)


@pytest.mark.django_db
def test_an_outside_attacker_claiming_an_lgwan_address_is_refused_and_recorded(
    reviewer, settings, django_capture_on_commit_callbacks
):
    settings.TRUSTED_PROXIES = [PROXY + "/32"]
    with django_capture_on_commit_callbacks(execute=True):
        response = _portal(ATTACKER, LGWAN, reviewer)
    assert response.status_code == 403
    event = AuditEvent.objects.get(action="denied")
    assert event.source_address == ATTACKER
    assert event.actor_id == reviewer.pk


@pytest.mark.django_db
def test_a_forged_header_through_the_proxy_is_refused(
    reviewer, settings, django_capture_on_commit_callbacks
):
    """The attacker sends "X-Forwarded-For: 192.0.2.10" through the real proxy, which appends
    the attacker's own address."""
    settings.TRUSTED_PROXIES = [PROXY + "/32"]
    with django_capture_on_commit_callbacks(execute=True):
        response = _portal(PROXY, f"{LGWAN}, {ATTACKER}", reviewer)
    assert response.status_code == 403
    assert AuditEvent.objects.get(action="denied").source_address == ATTACKER


@pytest.mark.django_db
def test_staff_behind_the_proxy_work_and_act_from_their_own_address(reviewer, settings):
    settings.TRUSTED_PROXIES = [PROXY + "/32", PROXY_NET]
    response = _portal(PROXY, f"{LGWAN}, {EDGE}", reviewer)
    assert response.status_code == 200
    assert response.wsgi_request.actor.source_address == LGWAN  # what the audit trail records


@pytest.mark.django_db
def test_garbage_behind_the_proxy_is_refused(reviewer, settings):
    settings.TRUSTED_PROXIES = [PROXY + "/32"]
    assert _portal(PROXY, "192.0.2.10.evil", reviewer).status_code == 403


@pytest.mark.django_db
def test_a_login_through_the_proxy_counts_failures_against_the_real_client(reviewer, settings):
    """axes and allauth's throttles see the same address as everything else."""
    from axes.models import AccessAttempt

    settings.TRUSTED_PROXIES = [PROXY + "/32"]
    client = Client(REMOTE_ADDR=PROXY)
    client.post(
        reverse("account_login"),
        {"login": "nobody@example.jp", "password": "wrong-password-here"},
        headers={"x-forwarded-for": f"{LGWAN}, {ATTACKER}"},
    )
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [ATTACKER]
