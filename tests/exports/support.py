"""Going through a protected export as a person does, with Django's test client: press the
button (POST), re-authenticate with the password when asked (allauth replays the POST), read
the password on the page, download the ZIP and open it.

Other test modules use :func:`export` and :func:`open_zip`; the browser journeys do the same
steps in Chromium (tests/browser/test_municipality_journey.py)."""

from __future__ import annotations

import io
import re
import secrets
import time
from dataclasses import dataclass

import pytest
import pyzipper
from django.urls import reverse

from tests.factories import PASSWORD

PASSWORD_SHOWN = re.compile(r'<code id="export-password"[^>]*>([^<]+)</code>')
DOWNLOAD_FORM = re.compile(r'action="/exports/([A-Za-z0-9_-]+)/download/"')


def request_id() -> str:
    return secrets.token_urlsafe(18)


def ask(client, url: str, data: dict | None = None, *, rid: str | None = None):
    """Press an export's button: POST the form (with a fresh one-time id unless given)."""
    return client.post(url, {"request_id": rid or request_id(), **(data or {})})


def reauthenticate(client, asked=None, password: str = PASSWORD):
    """Answer allauth's re-authentication page with the password; ``asked`` is the redirect
    that sent us there (its ``next`` lets allauth replay the suspended POST)."""
    url = asked["Location"] if asked is not None else reverse("account_reauthenticate")
    return client.post(url, {"password": password})


def forget_reauthentication(client) -> None:
    """Drop the session's re-authentications (the next export asks again)."""
    from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY

    session = client.session
    records = session.get(AUTHENTICATION_METHODS_SESSION_KEY, [])
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [
        r for r in records if not r.get("reauthenticated")
    ]
    session.save()


def age_reauthentication(client, seconds: float) -> None:
    """Make the session's re-authentications ``seconds`` older (allauth stamps them with the
    wall clock, ``time.time()``, and compares with ``ACCOUNT_REAUTHENTICATION_TIMEOUT``)."""
    from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY

    session = client.session
    records = session.get(AUTHENTICATION_METHODS_SESSION_KEY, [])
    assert any(r.get("reauthenticated") for r in records), "no re-authentication to age"
    for record in records:
        record["at"] = min(record["at"], time.time()) - seconds
    session[AUTHENTICATION_METHODS_SESSION_KEY] = records
    session.save()


@dataclass
class Ready:
    response: object
    password: str | None
    token: str


def ready(response) -> Ready:
    """Read the "your file is ready" page: the password (if shown) and the export's token."""
    assert response.status_code == 200, response.status_code
    body = response.content.decode()
    shown = PASSWORD_SHOWN.search(body)
    token = DOWNLOAD_FORM.search(body)
    assert token, "no download button on the page"
    return Ready(response, shown.group(1) if shown else None, token.group(1))


def export(client, url: str, data: dict | None = None) -> Ready:
    """Press the button, re-authenticate if asked, and read the ready page."""
    response = ask(client, url, data)
    if response.status_code == 302 and "reauthenticate" in response["Location"]:
        response = reauthenticate(client, response)
    return ready(response)


def download(client, token: str) -> bytes:
    response = client.post(reverse("exports:download", args=[token]))
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/zip"
    return response.content


def open_zip(data: bytes, password: str | None) -> dict[str, bytes]:
    """Every member of the ZIP, read with ``password`` (pyzipper raises without the right
    one)."""
    with pyzipper.AESZipFile(io.BytesIO(data)) as archive:
        if password is not None:
            archive.setpassword(password.encode())
        return {name: archive.read(name) for name in archive.namelist()}


def exported(client, url: str, data: dict | None = None) -> tuple[str, bytes, bytes]:
    """(the file's name, its bytes, the ZIP's bytes): the whole way, as a person goes."""
    got = export(client, url, data)
    archive = download(client, got.token)
    [(name, content)] = open_zip(archive, got.password).items()
    return name, content, archive


# --- in the browser --------------------------------------------------------------------------


def in_browser(page, press, *, check=None) -> tuple[str, bytes, str]:
    """In Chromium, as a person: ``press()`` clicks an export's button; on allauth's page the
    password is typed in again; on the ready page the ZIP's password is read off the screen,
    the ZIP downloaded and opened with it. Returns (the file's name, its bytes, the password).
    ``check(page)`` runs on each page on the way (the accessibility check)."""
    from pathlib import Path

    press()
    page.wait_for_load_state()
    if "/accounts/reauthenticate/" in page.url:
        if check:
            check(page)
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()
    if check:
        check(page)
    password = page.locator("#export-password").inner_text().strip()
    with page.expect_download() as got:
        page.locator("#download").click()
    archive = Path(got.value.path()).read_bytes()
    with pytest.raises(RuntimeError, match="requires a password"):
        open_zip(archive, None)
    [(name, content)] = open_zip(archive, password).items()
    return name, content, password
