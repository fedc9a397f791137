"""Outside DEBUG, tsuen refuses to start without its own secrets: importing the WSGI application
(what gunicorn does) fails with a message naming the variable, never its value."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

import tsuen.settings as project_settings

SRC = Path(__file__).resolve().parents[1] / "src"
SECRET = secrets.token_urlsafe(50)
FIELD_KEYS = "1:" + base64.b64encode(os.urandom(32)).decode("ascii")
START = "import tsuen.wsgi; print('started')"


def start(tmp_path, **variables: str | None) -> subprocess.CompletedProcess:
    """Import tsuen.wsgi in a fresh process with the production variables given (None: unset)
    and no other TSUEN_ variable from this test run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TSUEN_")}
    env |= {
        "PYTHONPATH": str(SRC),
        "DJANGO_SETTINGS_MODULE": "tsuen.settings",
        "TSUEN_VAR_DIR": str(tmp_path / "var"),
        "TSUEN_SECRET_KEY": SECRET,
        "TSUEN_FIELD_KEYS": FIELD_KEYS,
        # Start-up checks that a scanner is configured (tests/files/test_startup.py), not that
        # it answers: uploads are refused while it does not.
        "TSUEN_CLAMD_SOCKET": "/run/clamav/clamd.ctl",
        # The endpoints above are all on this machine (tests/test_residency.py).
        "TSUEN_RESIDENCY_HOSTS": "127.0.0.1,localhost",
    }
    for name, value in variables.items():
        if value is None:
            env.pop(f"TSUEN_{name}", None)
        else:
            env[f"TSUEN_{name}"] = value
    return subprocess.run(
        [sys.executable, "-c", START], env=env, capture_output=True, text=True, timeout=120
    )


def refused(result: subprocess.CompletedProcess, variable: str, *values: str) -> bool:
    output = result.stdout + result.stderr
    assert "started" not in result.stdout
    for value in values:
        assert value not in output, "a secret value was printed"
    return result.returncode != 0 and variable in output


def test_with_its_own_secrets_it_starts(tmp_path):
    result = start(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SECRET_KEY", None),
        ("SECRET_KEY", ""),
        ("SECRET_KEY", "   "),
        ("SECRET_KEY", project_settings.DEV_SECRET_KEY),
        ("FIELD_KEYS", None),
        ("FIELD_KEYS", ""),
        ("FIELD_KEYS", project_settings.DEV_FIELD_ENCRYPTION_KEYS),
    ],
    ids=[
        "secret-unset",
        "secret-empty",
        "secret-blank",
        "secret-dev",
        "keys-unset",
        "keys-empty",
        "keys-dev",
    ],
)
def test_a_missing_or_public_secret_stops_start_up(tmp_path, variable, value):
    result = start(tmp_path, **{variable: value})
    shown = [SECRET, FIELD_KEYS.split(":")[1]] + ([value.split(":")[-1]] if value else [])
    assert refused(result, f"TSUEN_{variable}", *[v for v in shown if v.strip()])


def test_a_malformed_field_key_stops_start_up_without_showing_it(tmp_path):
    short = "1:" + base64.b64encode(b"sixteen byte key").decode()
    result = start(tmp_path, FIELD_KEYS=short)
    assert refused(result, "TSUEN_FIELD_KEYS", short.split(":")[1], SECRET)


def test_the_staff_network_allow_list_cannot_be_switched_off_in_production(tmp_path):
    assert refused(start(tmp_path, LGWAN_REQUIRED="0"), "TSUEN_LGWAN_REQUIRED")
    assert refused(start(tmp_path, LGWAN_REQUIRED="no"), "TSUEN_LGWAN_REQUIRED")
    assert start(tmp_path, LGWAN_REQUIRED="1").returncode == 0


def test_a_trusted_proxy_that_is_not_an_address_stops_start_up(tmp_path):
    assert refused(
        start(tmp_path, TRUSTED_PROXIES="10.0.0.5, proxy.local"), "TSUEN_TRUSTED_PROXIES"
    )
    assert start(tmp_path, TRUSTED_PROXIES="10.0.0.5, 10.1.0.0/16 fd00::/64").returncode == 0


def test_a_development_server_starts_on_the_public_development_keys(tmp_path):
    """bin/demo (TSUEN_DEBUG=1) needs nothing configured."""
    result = start(tmp_path, DEBUG="1", SECRET_KEY=None, FIELD_KEYS=None, LGWAN_REQUIRED="0")
    assert result.returncode == 0, result.stderr


def test_manage_py_stops_too(tmp_path):
    """Every command reads the same settings: migrate or a worker cannot run on public keys
    either."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TSUEN_")}
    env |= {"TSUEN_VAR_DIR": str(tmp_path / "var")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [sys.executable, str(SRC.parent / "manage.py"), "check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert refused(result, "TSUEN_SECRET_KEY")
