"""Browser tests: Playwright driving Debian's Chromium against the live test server.

The fixtures are made available to every test module by tests/conftest.py (one session-wide
browser: a second Playwright in the same session would fail).

Never `playwright install`: the browser is the system's `chromium`. Every page a test visits is
checked with axe-core (WCAG 2.1 A and AA) through :func:`check_accessibility`.
"""

from __future__ import annotations

import json
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

AXE = Path(__file__).resolve().parents[1] / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 1024, "height": 768}
DESKTOP = {"width": 1440, "height": 900}

# The live server runs in a thread of this process; Playwright's sync API runs an event loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is required (bin/setup installs it)"
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@contextmanager
def _page(browser, live_server, viewport):
    """A page in Japanese at ``viewport``, with every request kept on the test server."""
    # bypass_csp lets the test inject axe-core; the CSP header itself is asserted elsewhere.
    context = browser.new_context(
        viewport=viewport, locale="ja-JP", base_url=live_server.url, bypass_csp=True
    )
    external: list[str] = []

    def guard(route):
        url = route.request.url
        if url.startswith(live_server.url) or url.startswith("data:"):
            route.continue_()
        else:
            external.append(url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
    assert not external, f"pages asked for off-site resources: {external}"


@pytest.fixture
def phone(browser, live_server):
    """A phone-sized page (the family's device)."""
    with _page(browser, live_server, PHONE) as page:
        yield page


@pytest.fixture
def tablet(browser, live_server):
    """A tablet-sized page (the facility's room)."""
    with _page(browser, live_server, TABLET) as page:
        yield page


@pytest.fixture
def desktop(browser, live_server):
    """A desktop-sized page (the office and the municipality)."""
    with _page(browser, live_server, DESKTOP) as page:
        yield page


def check_accessibility(page) -> None:
    """Run axe-core on the current page; fail on any WCAG 2.1 A/AA violation."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', "
        "'wcag21aa']})"
    )
    violations = [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]
    assert not violations, f"{page.url}: " + json.dumps(violations, ensure_ascii=False)


def log_in(page, user, live_server, *, language: str | None = None) -> None:
    """Hand the browser a session made by Django's test client for ``user``, past the second
    factor (the login form itself is pinned in tests/accounts); ``language`` sets the
    language cookie (else the browser's default)."""
    from django.conf import settings
    from django.test import Client

    from tsuen.accounts.testing import login_with_second_factor

    client = Client()
    login_with_second_factor(client, user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    cookies = [{"name": cookie.key, "value": cookie.value, "url": live_server.url}]
    if language:
        cookies.append(
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}
        )
    page.context.add_cookies(cookies)
