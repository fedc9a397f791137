"""Issue 13 item 5: the SSRF guard. Webhooks go to https URLs on public addresses only: a
private, loopback, link-local, multicast or reserved address is refused, whether written as
an address or reached through a name, when an endpoint is registered and again before every
request (nothing is sent). http:// and the loopback only with WEBHOOK_ALLOW_LOOPBACK, which
only the test suite sets (production reads it from no environment variable)."""

from __future__ import annotations

import socket

import pytest
from django.core.exceptions import ValidationError

from tests.webhooks import receiver as rx
from tsuen.webhooks import transport


def refused(url: str, **kw) -> str:
    with pytest.raises(ValidationError) as caught:
        transport.check_url(url, **kw)
    return caught.value.code


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.5/hook",
        "https://172.16.0.1/hook",
        "https://192.168.1.10/hook",
        "https://169.254.169.254/latest/meta-data",  # the cloud's metadata service
        "https://[fe80::1]/hook",
        "https://[fc00::1]/hook",
        "https://0.0.0.0/hook",
        "https://224.0.0.1/hook",
        "https://100.64.0.1/hook",  # carrier-grade NAT
        "https://[::ffff:10.0.0.5]/hook",  # an IPv4 private address written as IPv6
        "https://192.0.2.1/hook",  # documentation range: not global
    ],
)
def test_private_and_internal_addresses_are_refused(url):
    assert refused(url) == "private"


def test_the_loopback_only_with_the_setting(settings):
    assert transport.check_url("http://127.0.0.1:8000/hook").address == "127.0.0.1"
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    assert refused("https://127.0.0.1/hook") == "private"
    assert refused("https://[::1]/hook") == "private"
    # A name is resolved (for real: localhost is in /etc/hosts) and its address checked.
    assert refused("https://localhost/hook") == "private"
    assert refused("http://127.0.0.1:8000/hook") == "not_https"


def test_http_is_refused_except_to_the_loopback_in_tests():
    assert refused("http://203.0.113.10/hook", resolve=_public_name) == "not_https"
    assert refused("ftp://127.0.0.1/hook") == "not_https"
    assert refused("javascript:alert(1)") in {"invalid", "not_https"}


def test_credentials_in_the_url_are_refused():
    assert refused("https://user:secret@127.0.0.1/hook") == "credentials"


def test_a_name_that_does_not_resolve_is_refused():
    assert refused("https://no-such-host.invalid/hook") == "unresolved"


def _public_name(host, port, **kw):
    return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port))]


def _rebinding(host, port, **kw):
    """A name that answers a public and a private address (DNS rebinding)."""
    return [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port)),
    ]


def test_a_name_with_any_private_address_is_refused():
    assert transport.check_url("https://hooks.example.jp/x", resolve=_public_name).address == (
        "93.184.215.14"
    )
    assert refused("https://hooks.example.jp/x", resolve=_rebinding) == "private"


def test_a_refused_url_is_never_requested(settings):
    receiver = rx.start()
    try:
        settings.WEBHOOK_ALLOW_LOOPBACK = False
        outcome = transport.post(receiver.url, b"{}", {})
    finally:
        rx.stop(receiver)
    assert not outcome.ok and outcome.status is None
    assert outcome.error.startswith("refused:")
    assert receiver.received == []


def test_a_receiver_that_does_not_answer_times_out():
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        port = silent.getsockname()[1]
        outcome = transport.post(f"http://127.0.0.1:{port}/hook", b"{}", {}, timeout=0.5)
    assert not outcome.ok and outcome.status is None
    assert "timed out" in outcome.error or "Timeout" in outcome.error
