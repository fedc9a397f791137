"""The outbound guard (council checklist item 6): Python sockets connect only to allowed hosts.

:func:`install` wraps ``socket.socket.connect`` and ``connect_ex`` for the whole process: an
IPv4 or IPv6 connection to an address outside ``TSUEN_RESIDENCY_HOSTS``
(:mod:`tsuen.core.residency`) raises :class:`EgressRefused` (a ``ConnectionRefusedError``, which
every client library already treats as "the server did not answer") before a packet leaves, and
is logged. Unix sockets pass.
A name listed in the setting is allowed at whatever it resolves to: ``socket.getaddrinfo`` is
wrapped too and remembers the addresses of listed names, which is how ``create_connection``
(smtplib) and redis-py connect.

``CoreConfig.ready()`` installs it in every tsuen process (app servers, workers, commands),
DEBUG included; tests/conftest.py installs it for the test session explicitly.

What it does not see: connections made below Python. PostgreSQL's client (libpq, inside
psycopg) opens its socket in C; its host is checked at start-up instead
(:func:`tsuen.core.residency.require_residency`). The hosting's egress firewall stays the wall;
this guard makes a mistake in tsuen's own configuration or code fail loudly.
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import socket
import threading

from tsuen.core.residency import Rules, resolve

logger = logging.getLogger(__name__)

_INET = (socket.AF_INET, socket.AF_INET6)
_original_connect = socket.socket.connect
_original_connect_ex = socket.socket.connect_ex
_original_getaddrinfo = socket.getaddrinfo

_lock = threading.Lock()
_rules: Rules | None = None
#: Addresses that listed names resolved to (bounded: a resolver could hand out many).
_resolved: set[str] = set()
_RESOLVED_MAX = 4096


class EgressRefused(ConnectionRefusedError):
    """An outbound connection to a host outside TSUEN_RESIDENCY_HOSTS."""


def _normal(address: str) -> str:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return str(ip)


def allowed(host: str) -> bool:
    """Whether a connection to ``host`` (an address, or a name the socket will resolve) may go."""
    rules = _rules
    if rules is None:
        return True
    try:
        address = _normal(host)
    except ValueError:  # a name: connect() resolves it itself
        if rules.name_listed(host):
            return True
        addresses = resolve(host)
        return bool(addresses) and all(allowed(a) for a in addresses)
    return address in _resolved or rules.address_allowed(ipaddress.ip_address(address))


def _check(sock: socket.socket, target) -> None:
    if sock.family not in _INET or _rules is None:
        return
    host = str(target[0])
    if not allowed(host):
        logger.error("outbound connection to %s refused: not in TSUEN_RESIDENCY_HOSTS", host)
        raise EgressRefused(
            errno.ECONNREFUSED,
            f"outbound connection to {host} refused: not in TSUEN_RESIDENCY_HOSTS",
        )


def _connect(self, address):
    _check(self, address)
    return _original_connect(self, address)


def _connect_ex(self, address):
    try:
        _check(self, address)
    except EgressRefused:
        return errno.ECONNREFUSED
    return _original_connect_ex(self, address)


def _getaddrinfo(host, *args, **kwargs):
    results = _original_getaddrinfo(host, *args, **kwargs)
    rules = _rules
    if rules is not None and isinstance(host, str | bytes):
        name = host.decode("ascii", "replace") if isinstance(host, bytes) else host
        if rules.name_listed(name):
            with _lock:
                for family, _type, _proto, _name, sockaddr in results:
                    if family in _INET and len(_resolved) < _RESOLVED_MAX:
                        _resolved.add(_normal(str(sockaddr[0])))
    return results


def install(rules: Rules) -> None:
    """Guard every later connection of this process with ``rules`` (again: replace them)."""
    global _rules
    with _lock:
        _rules = rules
        _resolved.clear()
        socket.socket.connect = _connect
        socket.socket.connect_ex = _connect_ex
        socket.getaddrinfo = _getaddrinfo


def uninstall() -> None:
    """Back to plain sockets (tests of the guard itself)."""
    global _rules
    with _lock:
        _rules = None
        _resolved.clear()
        socket.socket.connect = _original_connect
        socket.socket.connect_ex = _original_connect_ex
        socket.getaddrinfo = _original_getaddrinfo


def installed() -> Rules | None:
    return _rules
