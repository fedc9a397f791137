"""Residency (council checklist item 15) and the hosts tsuen may reach (item 6).

``TSUEN_RESIDENCY_HOSTS`` names the hosts the operator has placed in Japan: host names
(``db.tsuen.example.jp``), wildcard names (``*.tsuen.example.jp``: any name below it), IP
addresses and CIDR ranges (``10.20.0.0/16``), comma- or space-separated. At start-up
(:func:`require_residency`, from ``CoreConfig.ready()``) every endpoint tsuen is configured to
send data to (the database, which also holds the uploaded files; the file storage; the Redis
cache and sessions; the virus scanner; the mail relay) must be one of them, or the start stops
with a message naming the endpoint and its host. Outside DEBUG the setting itself is required
(fail closed); DEBUG defaults to this machine's loopback. The same rules are what the outbound
guard (:mod:`tsuen.core.egress`) lets through at run time.

Rules, as pure functions (tests/test_residency.py):

* an IP address (the host written as one) is allowed when it lies in a listed address or range;
* a name is allowed when a listed name or wildcard matches it; otherwise, when ranges are listed,
  it is resolved and allowed only when every address it resolves to lies in them (a name that
  does not resolve is refused);
* a unix socket (a path), an embedded SQLite file and a backend that sends nothing over the
  network (the console or file mail backends) have no host: nothing to check;
* a backend whose destination tsuen cannot read (a mail or storage backend it does not know) is
  refused: residency cannot be shown for it.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

VARIABLE = "TSUEN_RESIDENCY_HOSTS"
HELP = "see docs/deploy.md, Residency and outbound connections"
#: DEBUG's default: this machine only.
LOOPBACK = "localhost,127.0.0.0/8,::1"

_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_NAME = re.compile(rf"^(\*\.)?{_LABEL}(\.{_LABEL})*$")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Rules:
    """What ``TSUEN_RESIDENCY_HOSTS`` allows."""

    names: frozenset[str] = frozenset()  # exact names, lower case
    suffixes: tuple[str, ...] = ()  # from "*.example.jp": ".example.jp"
    networks: tuple[Network, ...] = field(default=())

    def address_allowed(self, address: Address) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        return any(address in network for network in self.networks)

    def name_listed(self, name: str) -> bool:
        name = name.lower().rstrip(".")
        return name in self.names or any(name.endswith(suffix) for suffix in self.suffixes)


def parse(value: str, variable: str = VARIABLE) -> Rules:
    """The rules of a ``TSUEN_RESIDENCY_HOSTS`` value; a malformed entry stops start-up, named."""
    names: set[str] = set()
    suffixes: list[str] = []
    networks: list[Network] = []
    for entry in value.replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
            continue
        except ValueError:
            pass
        name = entry.lower().rstrip(".")
        if not _NAME.match(name) or name.replace(".", "").isdigit():
            raise ImproperlyConfigured(
                f"{variable}: {entry[:80]!r} is not a host name, *.wildcard name, IP address or "
                f"CIDR range ({HELP})."
            )
        if name.startswith("*."):
            suffixes.append(name[1:])
        else:
            names.add(name)
    return Rules(frozenset(names), tuple(suffixes), tuple(networks))


def _ip(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.removeprefix("[").removesuffix("]").split("%")[0])
    except ValueError:
        return None


Resolver = Callable[[str], Iterable[str]]


def resolve(name: str) -> list[str]:
    """Every address ``name`` resolves to (empty when it does not)."""
    try:
        return sorted({info[4][0] for info in socket.getaddrinfo(name, None)})
    except (OSError, UnicodeError):
        return []


def host_allowed(host: str, rules: Rules, resolver: Resolver = resolve) -> bool:
    """Whether ``host`` (a name or an IP address) is one the rules allow."""
    address = _ip(host)
    if address is not None:
        return rules.address_allowed(address)
    if rules.name_listed(host):
        return True
    if not rules.networks:
        return False
    addresses = [_ip(a) for a in resolver(host)]
    return bool(addresses) and all(a is not None and rules.address_allowed(a) for a in addresses)


# --- The configured endpoints ------------------------------------------------------------------

#: Mail backends that send nothing over the network.
LOCAL_MAIL_BACKENDS = frozenset(
    {
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
        "django.core.mail.backends.filebased.EmailBackend",
        "django.core.mail.backends.dummy.EmailBackend",
        "tsuen.core.mail.DevMailBackend",
    }
)
SMTP_MAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
REDIS_BACKENDS = ("tsuen.core.cache.RedisCache", "django.core.cache.backends.redis.RedisCache")
LOCAL_CACHE_BACKENDS = frozenset(
    {
        "django.core.cache.backends.db.DatabaseCache",
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.cache.backends.dummy.DummyCache",
        "django.core.cache.backends.filebased.FileBasedCache",
    }
)
LOCAL_STORAGES = frozenset(
    {
        "django.core.files.storage.FileSystemStorage",
        "django.core.files.storage.InMemoryStorage",
        "django.contrib.staticfiles.storage.StaticFilesStorage",
        "django.contrib.staticfiles.storage.ManifestStaticFilesStorage",
        "whitenoise.storage.CompressedStaticFilesStorage",
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
    }
)


class Unknowable(Exception):
    """A configured backend whose destination cannot be read from its settings."""


def _url_host(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return None
    return parts.hostname or "localhost"


def endpoints(settings) -> list[tuple[str, str | None]]:
    """(what, host) for every endpoint the settings send data to; host None: not a network
    endpoint (a unix socket, a local file). Raises :class:`Unknowable` naming a backend whose
    destination cannot be read."""
    found: list[tuple[str, str | None]] = []
    for alias, database in settings.DATABASES.items():
        what = "the database" if alias == "default" else f"the database {alias!r}"
        if database["ENGINE"].endswith("sqlite3"):
            found.append((what, None))
            continue
        host = str(database.get("HOST") or "")
        # libpq: empty or a path is a unix socket; several hosts are comma-separated.
        for one in host.split(",") if host else [""]:
            found.append((what, None if not one or one.startswith("/") else one.strip()))
    for alias, cache in settings.CACHES.items():
        backend = cache.get("BACKEND", "")
        what = "the cache (Redis)" if alias == "default" else f"the cache {alias!r}"
        if backend in LOCAL_CACHE_BACKENDS:
            continue
        if backend not in REDIS_BACKENDS:
            raise Unknowable(f"{what}: backend {backend}")
        location = cache.get("LOCATION", "")
        for url in location if isinstance(location, list | tuple) else [location]:
            found.append((what, _url_host(str(url))))
    for alias, storage in settings.STORAGES.items():
        backend = storage.get("BACKEND", "")
        if backend in LOCAL_STORAGES:
            continue
        url = (storage.get("OPTIONS") or {}).get("endpoint_url")
        if not url:
            raise Unknowable(f"the file storage {alias!r}: backend {backend}")
        found.append((f"the file storage {alias!r}", _url_host(str(url))))
    if settings.CLAMD_SOCKET:
        from tsuen.files.clamav import parse_address

        try:
            family, address = parse_address(settings.CLAMD_SOCKET)
        except ValueError:
            pass  # FilesConfig.ready() stops the start, naming TSUEN_CLAMD_SOCKET
        else:
            if family != socket.AF_UNIX:
                found.append(("the virus scanner (clamd)", address[0]))
    for alias, mailer in getattr(settings, "MAILERS", {}).items():
        backend = mailer.get("BACKEND", "")
        if backend in LOCAL_MAIL_BACKENDS:
            continue
        if backend != SMTP_MAIL_BACKEND:
            raise Unknowable(f"the mailer {alias!r}: backend {backend}")
        found.append(("the mail relay", str((mailer.get("OPTIONS") or {}).get("host") or "")))
    return found


def require_residency(settings, resolver: Resolver = resolve) -> Rules:
    """Stop start-up unless every configured endpoint is an allowed host; the rules otherwise."""
    value = settings.RESIDENCY_HOSTS
    if not value.strip():
        raise ImproperlyConfigured(
            f"{VARIABLE} is not set: production must name the hosts (in Japan) of its database, "
            f"Redis, virus scanner and mail relay ({HELP})."
        )
    rules = parse(value)
    try:
        found = endpoints(settings)
    except Unknowable as exc:
        raise ImproperlyConfigured(
            f"Residency: tsuen cannot tell where {exc} sends data, so it cannot check that it "
            f"stays in Japan; use a backend tsuen knows ({HELP})."
        ) from None
    for what, host in found:
        if host is None:
            continue
        if not host:
            raise ImproperlyConfigured(f"Residency: {what} has no host configured ({HELP}).")
        if not host_allowed(host, rules, resolver):
            raise ImproperlyConfigured(
                f"Residency: {what} is at {host[:100]}, which is not among {VARIABLE}; every "
                f"endpoint must be a host the operator placed in Japan ({HELP})."
            )
    return rules
