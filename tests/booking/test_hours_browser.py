"""The waitlist, regular-use and hours pages on a phone: they fit 390 px and pass axe-core."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories as f
from tests.booking.scene import scene
from tests.browser_support import check_accessibility
from tsuen.booking import waitlist
from tsuen.core import clock

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def _log_in(page, user, base_url: str) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": base_url}])


def test_the_familys_pages_work_on_a_phone(phone, live_server):
    day = clock.today() + dt.timedelta(days=10)
    s = scene(day=day, capacity=1)
    s.facility.offers_regular = True
    s.facility.save()
    for offset in (1, 3):
        f.booking(s.child, f.place_slot(s.facility, day - dt.timedelta(days=offset)), s.user)
    s.fill()
    waitlist.join(s.user, s.child.pk, s.slot.pk, dt.time(10), dt.time(12))
    _log_in(phone, s.user, live_server.url)
    for name, args in (
        ("booking:hours", []),
        ("booking:waitlist", []),
        ("booking:waitlist_join", [s.slot.pk]),
        ("booking:regular_request", []),
        ("booking:regular_list", []),
    ):
        path = reverse(name, args=args)
        phone.goto(path)
        assert phone.url.endswith(path), f"{name} sent the family to {phone.url}"
        assert phone.locator("h1").count() == 1, name
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{name} is {width} px wide on a 390 px phone"
        check_accessibility(phone)
    phone.goto(reverse("booking:hours"))
    assert s.child.full_name in phone.content()
