"""Issue 10 (phone layout): the staff lists' filters (``_filter_form.html``) are folded behind
one button on a phone, the results first; the button opens them with the keyboard, and says how
many filters are set when the list comes back filtered (then the filters are open). On a wide
screen the filters are shown without a button."""

from __future__ import annotations

import pytest

from tests.browser_support import _page, check_accessibility, log_in
from tests.matrix.world import build_world
from tsuen.audit.sequencer import seal

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

NARROW = {"width": 360, "height": 740}
WIDE = {"width": 1280, "height": 800}

#: (list, the filter form's heading id, its results heading id, the button's words) of the
#: ward administrator's desk, and the national operator's list of municipalities.
LISTS = [
    ("certification:staff_queue", "queue-filters", "queue-results", "絞り込み"),
    ("certification:staff_children", "children-filters", "children-results", "検索"),
    ("audit:log", "audit-filters", "audit-results", "検索"),
    ("facilities:ward_register", "register-filters", "register-results", "絞り込み"),
    ("billing:ward_claims", "claim-filters", "claims-results", "絞り込み"),
]
NATIONAL = ("national:municipalities", "municipality-filters", "municipality-results", "絞り込み")


def _url(name: str) -> str:
    from django.urls import reverse

    return reverse(name)


def _fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width}px wide"


@pytest.mark.parametrize("actor", ["municipal_admin", "national_operator"])
def test_on_a_phone_the_filters_are_one_button_and_the_results_come_first(
    browser, live_server, actor
):
    world = build_world()
    seal()  # as the running sequencer would: the world's events are old
    lists = LISTS if actor == "municipal_admin" else [NATIONAL]
    with _page(browser, live_server, NARROW) as page:
        log_in(page, world["users"][actor], live_server)
        for name, form_id, results_id, words in lists:
            page.goto(_url(name))
            fold = page.locator(f"#{form_id}-fold")
            assert fold.get_attribute("open") is None, f"{name}: filters open with none set"
            summary = fold.locator("summary")
            assert summary.is_visible() and summary.inner_text().strip() == words
            assert not fold.locator("form").is_visible(), f"{name}: the form is not folded"
            results = page.locator(f"#{results_id}").bounding_box()
            assert results and results["y"] < NARROW["height"], f"{name}: results off screen"
            _fits(page)
        check_accessibility(page)


def test_the_button_opens_with_the_keyboard_and_counts_the_filters_set(browser, live_server):
    world = build_world()
    facility = world["related_facility"]
    with _page(browser, live_server, NARROW) as page:
        log_in(page, world["users"]["municipal_admin"], live_server)
        page.goto(_url("facilities:ward_register"))
        page.locator("#register-filters-fold > summary").focus()
        page.keyboard.press("Enter")
        assert page.locator("#id_name").is_visible()
        page.fill("#id_name", facility.name)
        page.select_option("#id_suspended", "no")
        page.locator("#register-filters-fold form button[type=submit]").click()
        page.wait_for_load_state()
        fold = page.locator("#register-filters-fold")
        assert fold.get_attribute("open") is not None  # filters set: shown with the results
        assert fold.locator("summary").inner_text().strip() == "絞り込み（2件の条件）"
        assert page.locator("#id_name").input_value() == facility.name
        assert facility.name in page.locator("#ward-facilities").inner_text()
        check_accessibility(page)
        _fits(page)
        # A wrong filter opens them too, with its message.
        page.goto(_url("billing:ward_claims") + "?month=13")
        fold = page.locator("#claim-filters-fold")
        assert fold.get_attribute("open") is not None
        assert fold.locator(".errorlist").is_visible()


def test_on_a_wide_screen_the_filters_are_shown_without_a_button(browser, live_server):
    world = build_world()
    with _page(browser, live_server, WIDE) as page:
        log_in(page, world["users"]["municipal_admin"], live_server)
        for name, form_id, _results_id, words in LISTS:
            page.goto(_url(name))
            fold = page.locator(f"#{form_id}-fold")
            assert not fold.locator("summary").is_visible(), f"{name}: a button on a wide screen"
            assert fold.locator("form button[type=submit]").is_visible(), f"{name}: folded"
            heading = page.locator(f"h2#{form_id}")
            assert heading.is_visible() and heading.inner_text().strip() == words
        check_accessibility(page)
