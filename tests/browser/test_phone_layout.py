"""Issue 10 (phone layout): no page is wider than a 360 px phone screen.

Every page a guardian may open (every GET route whose authorization-matrix row answers 200 to
the guardian, in the matrix's world, plus the account pages) is opened at 360x740 in Japanese;
a page fails when ``document.documentElement.scrollWidth`` is more than 360, i.e. the page
scrolls sideways. The proxy user's pages and the staff desks reachable in the same world are
checked the same way (a facility on a small tablet or phone, a ward on a narrow window).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.browser_support import _page, log_in
from tests.matrix.world import build_world
from tests.test_authz_matrix import matrix

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

NARROW = {"width": 360, "height": 740}
#: The family's account pages (django-allauth's, not in the matrix rows).
ACCOUNT_PAGES = ("account_email", "account_change_password", "mfa_index")


def pages_of(actor: str, world: dict) -> list[str]:
    """Every page ``actor`` may GET in the matrix's world (rows answering 200)."""
    urls = []
    for key, row in matrix().items():
        if row.method != "get" or row.expect(actor) != 200 or row.reauthenticated:
            continue
        urls.append(reverse(key.split("@")[0], args=row.args(world) if row.args else None))
    return sorted(set(urls))


#: The elements that reach past the screen's right edge (the innermost few), for the message.
OFFENDERS = """() => {
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.right > window.innerWidth + 1 && ![...el.children].some(
        c => c.getBoundingClientRect().right > window.innerWidth + 1)) {
      const cls = typeof el.className === 'string' ? el.className.trim() : '';
      out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
               (cls ? '.' + cls.split(/\\s+/).join('.') : '') + ' ' + Math.round(r.right) + 'px');
    }
  }
  return out.slice(0, 5).join(', ');
}"""


def too_wide(page, urls: list[str]) -> list[str]:
    wide = []
    for url in urls:
        kind = page.request.get(url).headers.get("content-type") or ""
        if not kind.startswith("text/html"):
            continue  # a PDF, CSV, iCal or image: no page to measure
        page.goto(url)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > NARROW["width"]:
            wide.append(f"{url} is {width}px wide ({page.evaluate(OFFENDERS)})")
    return wide


@pytest.mark.parametrize(
    "actor",
    [
        "guardian",
        "proxy",
        "facility_staff",
        "facility_manager",
        "municipal_admin",
        "municipal_reviewer",
        "municipal_payments",
        "auditor",
        "national_operator",
    ],
)
def test_no_page_is_wider_than_a_360px_phone(browser, live_server, actor):
    world = build_world()
    urls = pages_of(actor, world)
    if actor in ("guardian", "proxy"):
        urls += [reverse(name) for name in ACCOUNT_PAGES]
    assert len(urls) > 5
    with _page(browser, live_server, NARROW) as page:
        log_in(page, world["users"][actor], live_server)
        wide = too_wide(page, urls)
    assert not wide, f"{actor}: pages scroll sideways at 360 px: " + "; ".join(wide)
