"""The log leaves out Django's warning for a 400 answer (a form shown again, a booking refused
with its reason: nearly half the confirms of the 09:00 rush) and keeps every other one."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

from tests.booking.scene import NOW, scene
from tsuen.core import clock

pytestmark = pytest.mark.django_db


def _request_warnings(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "django.request"]


def test_a_refused_booking_writes_no_warning(client, caplog):
    with clock.frozen(NOW):
        s = scene()
        s.fill()
        client.force_login(s.user)
        form = {"slot": s.slot.pk, "children": [s.child.pk], "start": "10:00", "end": "11:00"}
        with caplog.at_level(logging.WARNING):
            response = client.post(reverse("booking:book"), form | {"step": "confirm"})
    assert response.status_code == 400
    assert _request_warnings(caplog) == []


def test_a_page_not_found_is_still_logged(client, caplog):
    with caplog.at_level(logging.WARNING):
        response = client.get("/no-such-page/")
    assert response.status_code == 404
    [record] = _request_warnings(caplog)
    assert record.status_code == 404 and "Not Found" in record.getMessage()
