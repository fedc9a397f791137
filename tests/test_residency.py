"""Residency (council item 15): every configured endpoint must be a host the operator listed in
TSUEN_RESIDENCY_HOSTS, or tsuen does not start; production without the setting does not start.

The rules are pure functions (tsuen.core.residency), tested with settings objects of their own;
the start-up is tested by importing tsuen.wsgi in a fresh process, as a WSGI server does."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.exceptions import ImproperlyConfigured

from tsuen.core.residency import endpoints, host_allowed, parse, require_residency

SRC = Path(__file__).resolve().parents[1] / "src"

RULES = parse("db.tsuen.example.jp, *.lg.example.jp 10.20.0.0/16 fd00:20::/48")


def no_dns(name):
    return []


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("10.20.3.4", True),
        ("10.21.0.1", False),
        ("fd00:20::5", True),
        ("[fd00:20::5]", True),
        ("::ffff:10.20.0.9", True),  # an IPv4 address written as IPv6
        ("fd00:21::5", False),
        ("db.tsuen.example.jp", True),
        ("DB.tsuen.example.jp.", True),
        ("other.tsuen.example.jp", False),
        ("mail.lg.example.jp", True),
        ("a.b.lg.example.jp", True),
        ("lg.example.jp", False),  # the wildcard is for names below it
        ("evil-lg.example.jp", False),
        ("lg.example.jp.attacker.example", False),
        ("203.0.113.5", False),
    ],
)
def test_hosts_are_allowed_by_address_range_or_name(host, allowed):
    assert host_allowed(host, RULES, no_dns) is allowed


def test_a_name_not_listed_is_allowed_only_when_it_resolves_inside_the_ranges():
    assert host_allowed("redis.internal", RULES, lambda name: ["10.20.0.7"])
    assert not host_allowed("redis.internal", RULES, lambda name: ["10.20.0.7", "203.0.113.9"])
    assert not host_allowed("redis.internal", RULES, no_dns)  # does not resolve: refused
    assert not host_allowed("redis.internal", parse("*.lg.example.jp"), lambda n: ["10.20.0.7"])


@pytest.mark.parametrize(
    "entry", ["10.20.0.0/33", "db_host", "*.", "-db.example.jp", "a..b", "1.2.3"]
)
def test_a_malformed_entry_stops_start_up_naming_it(entry):
    with pytest.raises(ImproperlyConfigured, match="TSUEN_RESIDENCY_HOSTS") as caught:
        parse(f"10.0.0.1, {entry}")
    assert entry in str(caught.value)


def production(**overrides):
    """A settings object as settings.py builds it for a PostgreSQL site."""
    values = {
        "RESIDENCY_HOSTS": "10.20.0.0/16, smtp.lg.example.jp",
        "DATABASES": {"default": {"ENGINE": "django.db.backends.postgresql", "HOST": "10.20.0.5"}},
        "CACHES": {
            "default": {
                "BACKEND": "tsuen.core.cache.RedisCache",
                "LOCATION": "rediss://:pw@10.20.0.6:6379/0",
            }
        },
        "STORAGES": {
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
        },
        "CLAMD_SOCKET": "10.20.0.8:3310",
        "MAILERS": {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "smtp.lg.example.jp"},
            }
        },
    }
    return SimpleNamespace(**(values | overrides))


def test_a_site_whose_endpoints_are_all_listed_starts():
    settings = production()
    assert endpoints(settings) == [
        ("the database", "10.20.0.5"),
        ("the cache (Redis)", "10.20.0.6"),
        ("the virus scanner (clamd)", "10.20.0.8"),
        ("the mail relay", "smtp.lg.example.jp"),
    ]
    require_residency(settings, no_dns)


@pytest.mark.parametrize(
    ("override", "named"),
    [
        (
            {
                "DATABASES": {
                    "default": {
                        "ENGINE": "django.db.backends.postgresql",
                        "HOST": "db.aws-us-east-1.example.com",
                    }
                }
            },
            "the database is at db.aws-us-east-1.example.com",
        ),
        (
            {
                "CACHES": {
                    "default": {
                        "BACKEND": "django.core.cache.backends.redis.RedisCache",
                        "LOCATION": "redis://:pw@203.0.113.6:6379/0",
                    }
                }
            },
            "the cache (Redis) is at 203.0.113.6",
        ),
        ({"CLAMD_SOCKET": "[2001:db8::8]:3310"}, "the virus scanner (clamd) is at 2001:db8::8"),
        (
            {
                "MAILERS": {
                    "default": {
                        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                        "OPTIONS": {"host": "smtp.sendgrid.example"},
                    }
                }
            },
            "the mail relay is at smtp.sendgrid.example",
        ),
        (
            {
                "STORAGES": {
                    "default": {
                        "BACKEND": "storages.backends.s3.S3Storage",
                        "OPTIONS": {"endpoint_url": "https://s3.us-west-2.example.com"},
                    }
                }
            },
            "the file storage 'default' is at s3.us-west-2.example.com",
        ),
    ],
    ids=["database", "redis", "clamd", "mail-relay", "file-storage"],
)
def test_an_endpoint_outside_the_list_stops_start_up(override, named):
    with pytest.raises(ImproperlyConfigured) as caught:
        require_residency(production(**override), no_dns)
    message = str(caught.value)
    assert named in message and "TSUEN_RESIDENCY_HOSTS" in message
    assert "pw@" not in message  # a password in a URL is never shown


def test_unix_sockets_and_local_backends_have_no_host_to_check():
    settings = production(
        RESIDENCY_HOSTS="10.99.0.1",
        DATABASES={
            "default": {"ENGINE": "django.db.backends.postgresql", "HOST": "/run/postgresql"},
            "embedded": {"ENGINE": "django.db.backends.sqlite3", "NAME": "x.sqlite3"},
        },
        CACHES={"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache"}},
        CLAMD_SOCKET="/run/clamav/clamd.ctl",
        MAILERS={"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}},
    )
    require_residency(settings, no_dns)


def test_a_backend_whose_destination_cannot_be_read_stops_start_up():
    unknown_mail = {"default": {"BACKEND": "anymail.backends.amazon_ses.EmailBackend"}}
    with pytest.raises(ImproperlyConfigured, match="cannot tell where the mailer 'default'"):
        require_residency(production(MAILERS=unknown_mail), no_dns)
    unknown_storage = {"default": {"BACKEND": "storages.backends.s3.S3Storage"}}
    with pytest.raises(ImproperlyConfigured, match="cannot tell where the file storage"):
        require_residency(production(STORAGES=unknown_storage), no_dns)


def test_without_the_setting_production_does_not_start():
    with pytest.raises(ImproperlyConfigured, match="TSUEN_RESIDENCY_HOSTS is not set"):
        require_residency(production(RESIDENCY_HOSTS="  "), no_dns)


# --- The real start-up --------------------------------------------------------------------------


def start(tmp_path, **variables: str | None) -> subprocess.CompletedProcess:
    """Import tsuen.wsgi (what gunicorn does) with production settings and the variables given
    (None: unset), nothing else of this run's TSUEN_ environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TSUEN_")}
    env |= {
        "PYTHONPATH": str(SRC),
        "DJANGO_SETTINGS_MODULE": "tsuen.settings",
        "TSUEN_VAR_DIR": str(tmp_path / "var"),
        "TSUEN_SECRET_KEY": secrets.token_urlsafe(50),
        "TSUEN_FIELD_KEYS": "1:" + base64.b64encode(os.urandom(32)).decode("ascii"),
        "TSUEN_CLAMD_SOCKET": "/run/clamav/clamd.ctl",
        "TSUEN_RESIDENCY_HOSTS": "127.0.0.1, localhost, 10.20.0.0/16",
    }
    for name, value in variables.items():
        if value is None:
            env.pop(f"TSUEN_{name}", None)
        else:
            env[f"TSUEN_{name}"] = value
    return subprocess.run(
        [sys.executable, "-c", "import tsuen.wsgi; print('started')"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def refused(result, *phrases: str) -> bool:
    assert "started" not in result.stdout
    return result.returncode != 0 and all(p in result.stderr for p in phrases)


def test_production_starts_with_its_endpoints_listed(tmp_path):
    result = start(
        tmp_path,
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="10.20.0.25",
        CLAMD_SOCKET="10.20.0.8:3310",
    )
    assert result.returncode == 0, result.stderr


def test_production_without_the_setting_does_not_start(tmp_path):
    assert refused(start(tmp_path, RESIDENCY_HOSTS=None), "TSUEN_RESIDENCY_HOSTS is not set")


def test_a_mail_relay_abroad_stops_start_up(tmp_path):
    result = start(
        tmp_path,
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="203.0.113.25",
        EMAIL_PASSWORD="relay-s3cret",
    )
    assert refused(result, "the mail relay is at 203.0.113.25", "TSUEN_RESIDENCY_HOSTS")
    assert "relay-s3cret" not in result.stderr


def test_a_database_abroad_stops_start_up_in_development_too(tmp_path):
    """DEBUG defaults to loopback; a remote database must be listed there as well."""
    result = start(
        tmp_path, DEBUG="1", RESIDENCY_HOSTS=None, DB="postgresql", PG_HOST="198.51.100.7"
    )
    assert refused(result, "the database is at 198.51.100.7")
    assert start(tmp_path, DEBUG="1", RESIDENCY_HOSTS=None).returncode == 0  # SQLite: no host
