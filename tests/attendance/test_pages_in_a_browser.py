"""The family's visit and calendar pages on a phone: they work without scripts and pass axe-core
(WCAG 2.1 A/AA), in Japanese."""

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from tests import factories as f
from tests.browser_support import check_accessibility
from tsuen.attendance.models import DailyRecord, MorningNote, RecordStatus
from tsuen.core import tenancy

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def family_at_the_visit(phone, live_server):
    with tenancy.cross_tenant("test set-up"):
        ward = f.municipality()
        guardian, _, child = f.family(ward, given_name="一花", pickup_persons=["試験 花子（母）"])
        facility = f.facility(ward)
        today = timezone.localdate()
        booking = f.booking(child, f.place_slot(facility, today), guardian)
        staff = f.user("facility_staff", facility=facility)
        past = f.booking(
            child,
            f.place_slot(facility, today - timezone.timedelta(days=7)),
            guardian,
        )
        DailyRecord.objects.create(
            booking=past, meals="完食", notes="積み木で遊びました。", written_by=staff,
            status=RecordStatus.PUBLISHED, published_at=timezone.now(),
        )  # fmt: skip
    client = Client()
    client.force_login(guardian)
    phone.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return booking, past


def test_visit_pages_are_accessible_on_a_phone(phone, family_at_the_visit):
    booking, past = family_at_the_visit
    phone.goto("/visits/")
    check_accessibility(phone)
    phone.goto(f"/visits/{past.pk}/record/")
    assert "積み木で遊びました。" in phone.content()
    check_accessibility(phone)
    phone.goto(f"/visits/{booking.pk}/note/")
    check_accessibility(phone)
    phone.fill("#id_temperature", "43.0")
    phone.fill("#id_health", "元気です")
    phone.check("input[name=pickup][value='0']")
    phone.click("button[type=submit] >> nth=-1")
    assert phone.locator(".errorlist").count() >= 1  # the bad temperature is explained
    check_accessibility(phone)
    phone.fill("#id_temperature", "36.5")
    phone.click("button[type=submit] >> nth=-1")
    phone.wait_for_url("**/visits/")
    with tenancy.cross_tenant("test check"):
        assert MorningNote.objects.get(booking=booking).pickup_person == "試験 花子（母）"


def test_calendar_page_is_accessible_and_shows_the_url_once(phone, family_at_the_visit):
    phone.goto("/calendar/")
    check_accessibility(phone)
    phone.click("main form button[type=submit] >> nth=0")
    url = phone.input_value("main input[readonly]")
    assert url.endswith(".ics")
    check_accessibility(phone)
    phone.goto("/calendar/")
    assert phone.locator("main input[readonly]").count() == 0
