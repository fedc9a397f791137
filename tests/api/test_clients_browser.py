"""A facility's manager adds an API client on a phone, copies the token shown once and revokes
the client; axe-core (WCAG 2.1 A/AA) on every page; the token then answers 401."""

from __future__ import annotations

import os
import re

import pytest

from tests.api.conftest import Scene
from tests.browser_support import check_accessibility, log_in
from tsuen.api.models import ApiClient
from tsuen.core import tenancy

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def _shot(page, name):
    folder = os.environ.get("TSUEN_SHOTS")
    if folder:
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def test_manager_adds_and_revokes_a_client_on_a_phone(phone, live_server):
    with tenancy.cross_tenant("test set-up"):
        scene = Scene()
    page = phone
    log_in(page, scene.manager, live_server, language="en")
    page.goto(f"{live_server.url}/facilities/staff/api-clients/")
    check_accessibility(page)
    page.get_by_role("link", name="Add a client").click()
    page.wait_for_load_state()
    check_accessibility(page)
    page.get_by_label("Name of the system").fill("園の業務システム")
    page.get_by_label(re.compile("the day's bookings")).check()
    page.get_by_label(re.compile("Check children in")).check()
    _shot(page, "new")
    page.get_by_role("button", name="Add the client").click()
    page.wait_for_load_state()
    check_accessibility(page)
    token = page.locator("#api-token").inner_text()
    assert token.startswith("tsuen_")
    _shot(page, "secret")
    page.get_by_role("link", name="Back to the API clients").click()
    page.wait_for_load_state()
    assert token not in page.content()
    _shot(page, "list")
    page.get_by_role("link", name=re.compile("^Revoke")).click()
    page.wait_for_load_state()
    check_accessibility(page)
    page.get_by_role("button", name="Revoke the client").click()
    page.wait_for_load_state()
    with tenancy.cross_tenant("test"):
        assert ApiClient.objects.get(name="園の業務システム").revoked_at is not None
    response = page.request.get(
        f"{live_server.url}/api/v1/client", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 401
    page.goto(f"{live_server.url}/api/v1/docs")
    check_accessibility(page)
    _shot(page, "docs")
