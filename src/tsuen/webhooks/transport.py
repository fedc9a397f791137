"""Sending one webhook request: the SSRF guard, no redirects, timeouts (issue 13 item 5).

:func:`check_url` is the guard, used when an endpoint is registered and again before every
request: ``https`` only (``http`` to the loopback only with ``WEBHOOK_ALLOW_LOOPBACK``, which
the test suite sets), no user or password in the URL, and the host must resolve to public
addresses only (no private, loopback, link-local, multicast, reserved or unspecified address;
the loopback only with the setting). :func:`post` then connects to the very address that was
checked (no second DNS answer can swap it: DNS rebinding), with the host name for TLS (SNI and
certificate check) and the ``Host`` header, and never follows a redirect (``http.client``
follows none: a 3xx is an answer like any other, and counts as a failure).

The outbound guard (tsuen.core.egress) still applies below this: a receiver must also be in
``TSUEN_RESIDENCY_HOSTS`` (docs/webhooks.md, "Operating")."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

#: Seconds to connect, and to wait for each read of the answer.
TIMEOUT = 10
#: Bytes of the answer read (and kept: none of it; only the status code).
READ_LIMIT = 4096


def loopback_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_LOOPBACK", False))


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the checked IP address to connect to


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.is_loopback:
        return loopback_allowed()
    return not (
        address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def check_url(url: str, *, resolve=socket.getaddrinfo) -> Target:
    """The target of ``url``, or :class:`ValidationError` with the reason in the user's words."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValidationError(_("Enter a valid URL."), code="invalid") from None
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise ValidationError(_("Enter a valid URL."), code="invalid")
    if parts.username or parts.password:
        raise ValidationError(
            _("The URL must not contain a user name or password."), code="credentials"
        )
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback_allowed()):
        raise ValidationError(_("The URL must start with https://."), code="not_https")
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        found = resolve(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise ValidationError(
            _("The host %(host)s cannot be found.") % {"host": host}, code="unresolved"
        ) from None
    addresses = []
    for _family, _type, _proto, _name, sockaddr in found:
        address = ipaddress.ip_address(sockaddr[0].split("%")[0])
        if not _public(address):
            raise ValidationError(
                _(
                    "The host %(host)s is a private or internal address (%(address)s): "
                    "webhooks go to public addresses only."
                )
                % {"host": host, "address": address},
                code="private",
            )
        addresses.append(str(address))
    if not addresses:
        raise ValidationError(
            _("The host %(host)s cannot be found.") % {"host": host}, code="unresolved"
        )
    if parts.scheme == "http" and not all(ipaddress.ip_address(a).is_loopback for a in addresses):
        raise ValidationError(_("The URL must start with https://."), code="not_https")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, host, port, path, addresses[0])


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
        self._address = target.address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status: int | None
    error: str


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float = TIMEOUT) -> Outcome:
    """POST ``body`` to ``url`` once. A 2xx answer is a delivery; anything else (3xx included:
    no redirect is followed), a refusal of the guard, a timeout or a network error is a
    failure with a short error."""
    try:
        target = check_url(url)
    except ValidationError as refused:
        return Outcome(False, None, ("refused: " + " ".join(refused.messages))[:200])
    connection_class = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    connection = connection_class(target, timeout)
    try:
        connection.request(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Content-Type": "application/json", "User-Agent": "tsuen-webhooks"},
        )
        response = connection.getresponse()
        response.read(READ_LIMIT)
        status = response.status
    except (OSError, http.client.HTTPException) as failed:
        return Outcome(False, None, f"{type(failed).__name__}: {failed}"[:200])
    finally:
        connection.close()
    if 200 <= status < 300:
        return Outcome(True, status, "")
    return Outcome(False, status, f"HTTP {status}"[:200])
