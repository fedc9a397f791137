"""Every page carries a strict Content-Security-Policy and the other protective headers; with
HTTPS on, cookies are Secure __Host- cookies and HSTS is sent."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db
SRC = Path(__file__).resolve().parents[1] / "src"


def test_pages_send_strict_headers(client):
    response = client.get("/accounts/login/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp and "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_pages_load_only_same_origin_assets(client):
    body = client.get("/accounts/login/").text
    assert "http://" not in body.replace("http://testserver", "")
    assert "https://" not in body


def test_https_mode_makes_secure_host_cookies_and_hsts():
    """With TSUEN_HTTPS=1 (production), the settings module turns every protection on."""
    code = (
        "import json, tsuen.settings as s; print(json.dumps([s.SESSION_COOKIE_NAME, "
        "s.CSRF_COOKIE_NAME, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS]))"
    )
    env = os.environ | {"TSUEN_HTTPS": "1", "PYTHONPATH": str(SRC)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == ["__Host-sessionid", "__Host-csrftoken", True, True, True, 63072000]
