"""QR check-in (issue 13 item 4): the tablet's code of the minute, the guardian's scan and
confirmation through the staff's locking core, and every refusal (old code, another
facility's, forged, replay after the minute, twice, cancelled, checked out, another day)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from tests import factories as f
from tests.attendance.conftest import VISIT_DAY
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor
from tsuen.attendance import services_qr, services_staff
from tsuen.attendance.models import Attendance, AttendanceStatus, TapSource
from tsuen.audit.models import AuditEvent
from tsuen.booking import services as booking_services
from tsuen.booking.models import BookingStatus
from tsuen.core import clock
from tsuen.families.models import ProxyGrant

pytestmark = pytest.mark.django_db
TZ = timezone.get_fixed_timezone(9 * 60)


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def at(hour: int, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime.combine(VISIT_DAY, dt.time(hour, minute, second), tzinfo=TZ)


def code_at(facility, moment: dt.datetime) -> str:
    return services_qr.code_for(facility.pk, services_qr.minute_of(moment))


def refused(code: str, call) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        call()
    assert getattr(caught.value, "code", None) == code, caught.value.messages
    assert not Attendance.objects.exists() or code in ("already_in", "already_out", "no_show")
    return caught.value


# --- the code -----------------------------------------------------------------------------------


def test_the_code_is_the_facilitys_and_the_minutes(visit, settings):
    settings.SITE_URL = "https://tsuen.example.jp"
    with clock.frozen(at(9, 59, 40)):
        shown = services_qr.tablet_code(visit.staff)
    minute = services_qr.minute_of(at(9, 59))
    assert shown.minute == minute
    assert shown.seconds_left == 20
    assert shown.facility == visit.facility
    assert shown.url == (
        f"https://tsuen.example.jp/visits/qr/{visit.facility.pk}/"
        f"{minute}.{services_qr.mac(visit.facility.pk, minute)}/"
    )
    assert re.fullmatch(r"[0-9a-f]{32}", services_qr.mac(visit.facility.pk, minute))
    # Each minute and each facility has its own MAC; another key purpose gives another MAC.
    assert services_qr.mac(visit.facility.pk, minute) != services_qr.mac(
        visit.facility.pk, minute + 1
    )
    other = visit.other_staff.facility_id
    assert services_qr.mac(visit.facility.pk, minute) != services_qr.mac(other, minute)
    # No personal data on the tablet: the facility's name and the code.
    assert visit.child.given_name not in shown.svg


def test_only_the_facilitys_staff_get_a_code(visit):
    for user in (visit.guardian, f.user(Role.MUNICIPAL_ADMIN, municipality=visit.ward)):
        with pytest.raises(Http404):
            services_qr.tablet_code(user)


def test_a_code_is_valid_in_its_minute_and_the_grace_after_it(visit):
    code = code_at(visit.facility, at(9, 58, 59))
    pk = visit.facility.pk
    for moment in (at(9, 58, 59), at(9, 59), at(10, 0, 59)):
        services_qr.verify(pk, code, moment, services_qr.SCAN_GRACE_MINUTES)
    with pytest.raises(ValidationError) as old:
        services_qr.verify(pk, code, at(10, 1), services_qr.SCAN_GRACE_MINUTES)
    assert old.value.code == "expired"


@pytest.mark.parametrize(
    "code",
    [
        "",
        "123",
        "abc.def",
        "29400000." + "0" * 32,
        "29400000." + "A" * 32,
        "-1." + "0" * 32,
        "9" * 13 + "." + "0" * 32,
    ],
)
def test_a_forged_or_malformed_code_is_refused(visit, code):
    with pytest.raises(ValidationError) as forged:
        services_qr.verify(visit.facility.pk, code, at(10), 2)
    assert forged.value.code == "forged"


def test_a_code_of_another_facility_does_not_verify_for_this_one(visit):
    other = visit.other_staff.facility_id
    code = code_at(visit.facility, at(10))
    with pytest.raises(ValidationError) as forged:
        services_qr.verify(other, code, at(10), 2)
    assert forged.value.code == "forged"


# --- the guardian's scan and confirmation -------------------------------------------------------


def test_scan_then_check_in_then_check_out_as_the_staff_core_does(visit):
    code = code_at(visit.facility, at(9, 58))
    with clock.frozen(at(9, 58, 30)):
        page = services_qr.scan_page(visit.guardian, visit.facility.pk, code)
    assert [v.booking for v in page.visits] == [visit.booking]
    assert page.visits[0].next_action == "check_in"
    with clock.frozen(at(9, 59)):
        attendance = services_qr.self_check(
            visit.guardian, visit.facility.pk, code, visit.booking.pk, "check_in"
        )
    attendance.refresh_from_db()
    assert attendance.status == AttendanceStatus.PRESENT
    assert attendance.checked_in_at == at(9, 59)
    assert attendance.check_in_source == TapSource.QR
    assert attendance.recorded_by == visit.guardian
    created = AuditEvent.objects.filter(action="create", object_type="attendance.attendance")
    assert created.count() == 1

    # The staff see it and can undo it with the existing undo.
    with clock.frozen(at(10, 1)):
        day = services_staff.day_for(visit.staff)
        card = day.slots[0].visits[0]
        assert card.state == "present" and card.can_undo
        assert services_staff.undo(visit.staff, visit.booking.pk) is None
    assert not Attendance.objects.exists()

    # Again, then the check-out with a fresh code at noon.
    with clock.frozen(at(10, 2)):
        services_qr.self_check(
            visit.guardian,
            visit.facility.pk,
            code_at(visit.facility, at(10, 2)),
            visit.booking.pk,
            "check_in",
        )
    noon = code_at(visit.facility, at(12))
    with clock.frozen(at(12)):
        page = services_qr.scan_page(visit.guardian, visit.facility.pk, noon)
        assert page.visits[0].next_action == "check_out"
    with clock.frozen(at(12, 0, 40)):
        attendance = services_qr.self_check(
            visit.guardian, visit.facility.pk, noon, visit.booking.pk, "check_out"
        )
    attendance.refresh_from_db()
    assert attendance.checked_out_at == at(12, 0, 40)
    assert attendance.check_out_source == TapSource.QR
    assert attendance.billable_minutes == 120


def test_twice_is_refused(visit):
    code = code_at(visit.facility, at(10))
    with clock.frozen(at(10)):
        services_qr.self_check(
            visit.guardian, visit.facility.pk, code, visit.booking.pk, "check_in"
        )
    with clock.frozen(at(10, 1)):
        refused(
            "already_in",
            lambda: services_qr.self_check(
                visit.guardian, visit.facility.pk, code, visit.booking.pk, "check_in"
            ),
        )
    with clock.frozen(at(11, 59)):
        noon = code_at(visit.facility, at(11, 59))
        services_qr.self_check(
            visit.guardian, visit.facility.pk, noon, visit.booking.pk, "check_out"
        )
    with clock.frozen(at(12)):
        refused(
            "already_out",
            lambda: services_qr.self_check(
                visit.guardian, visit.facility.pk, noon, visit.booking.pk, "check_out"
            ),
        )
        # The scan page offers nothing more to confirm.
        page = services_qr.scan_page(visit.guardian, visit.facility.pk, noon)
        assert page.visits[0].state == "left" and page.visits[0].next_action == ""


def test_a_photographed_code_used_later_is_refused(visit):
    code = code_at(visit.facility, at(9, 50))
    with clock.frozen(at(9, 53)):
        error = refused(
            "expired", lambda: services_qr.scan_page(visit.guardian, visit.facility.pk, code)
        )
    assert "changes every minute" in error.messages[0]
    # The confirmation allows time to read the page, not to come back later.
    with clock.frozen(at(9, 55)):
        services_qr.verify(visit.facility.pk, code, clock.now(), services_qr.CONFIRM_MINUTES)
    with clock.frozen(at(9, 56)):
        refused(
            "expired",
            lambda: services_qr.self_check(
                visit.guardian, visit.facility.pk, code, visit.booking.pk, "check_in"
            ),
        )


def test_replay_of_a_scanned_page_after_the_minute_is_refused(visit):
    """The scan page was opened in time; its button pressed much later is refused."""
    code = code_at(visit.facility, at(9, 58))
    with clock.frozen(at(9, 58, 10)):
        services_qr.scan_page(visit.guardian, visit.facility.pk, code)
    with clock.frozen(at(10, 30)):
        refused(
            "expired",
            lambda: services_qr.self_check(
                visit.guardian, visit.facility.pk, code, visit.booking.pk, "check_in"
            ),
        )


def test_a_code_of_another_facility_is_refused_as_used_elsewhere(visit):
    elsewhere = visit.other_staff.facility
    code = code_at(elsewhere, at(10))
    with clock.frozen(at(10)):
        error = refused(
            "elsewhere", lambda: services_qr.scan_page(visit.guardian, elsewhere.pk, code)
        )
        assert visit.facility.name in error.messages[0]
        # Posting the visit with the other facility's (valid) code: refused the same way.
        error = refused(
            "elsewhere",
            lambda: services_qr.self_check(
                visit.guardian, elsewhere.pk, code, visit.booking.pk, "check_in"
            ),
        )
    assert "used elsewhere" in error.messages[0]


def test_a_forged_mac_is_refused(visit):
    minute = services_qr.minute_of(at(10))
    forged = f"{minute}.{'0' * 32}"
    with clock.frozen(at(10)):
        refused("forged", lambda: services_qr.scan_page(visit.guardian, visit.facility.pk, forged))
        refused(
            "forged",
            lambda: services_qr.self_check(
                visit.guardian, visit.facility.pk, forged, visit.booking.pk, "check_in"
            ),
        )


def test_no_visit_today_at_the_facility_is_refused(visit):
    other_day = VISIT_DAY + dt.timedelta(days=1)
    moment = dt.datetime.combine(other_day, dt.time(10), tzinfo=TZ)
    with clock.frozen(moment):
        refused(
            "no_visit",
            lambda: services_qr.scan_page(
                visit.guardian, visit.facility.pk, code_at(visit.facility, moment)
            ),
        )
        # Posting the visit of another day with today's code: the core refuses it.
        refused(
            "not_today",
            lambda: services_qr.self_check(
                visit.guardian,
                visit.facility.pk,
                code_at(visit.facility, moment),
                visit.booking.pk,
                "check_in",
            ),
        )


def test_a_cancelled_visit_is_refused(visit):
    with clock.frozen(at(7)):
        booking_services.cancel(visit.guardian, visit.booking.pk)
    visit.booking.refresh_from_db()
    assert visit.booking.status != BookingStatus.CONFIRMED
    code = code_at(visit.facility, at(10))
    with clock.frozen(at(10)):
        error = refused(
            "cancelled", lambda: services_qr.scan_page(visit.guardian, visit.facility.pk, code)
        )
        assert "cancelled" in error.messages[0]
        refused(
            "not_booked",
            lambda: services_qr.self_check(
                visit.guardian, visit.facility.pk, code, visit.booking.pk, "check_in"
            ),
        )


def test_a_no_show_and_unusual_times_are_left_to_the_staff(visit):
    # A check-in after the booked end needs the staff's reason: the family is sent to them.
    late = code_at(visit.facility, at(12, 30))
    with clock.frozen(at(12, 30)):
        error = refused(
            None,
            lambda: services_qr.self_check(
                visit.guardian, visit.facility.pk, late, visit.booking.pk, "check_in"
            ),
        )
    assert "tell them" in error.messages[-1]
    with clock.frozen(at(12, 31)):
        services_staff.mark_no_show(visit.staff, visit.booking.pk)
        refused(
            "no_show",
            lambda: services_qr.self_check(
                visit.guardian,
                visit.facility.pk,
                code_at(visit.facility, at(12, 31)),
                visit.booking.pk,
                "check_in",
            ),
        )


def test_who_may_check_in_by_qr(visit):
    """The household's guardians and its live proxy users; no one else (404)."""
    proxy = f.user(Role.PROXY)
    grant = ProxyGrant.objects.create(
        household=visit.household, user=proxy, granted_by=visit.guardian
    )
    stranger, _household, _child = f.family(visit.ward, given_name="蒼")
    code = code_at(visit.facility, at(10))
    with clock.frozen(at(10)):
        with pytest.raises(Http404):
            services_qr.self_check(stranger, visit.facility.pk, code, visit.booking.pk, "check_in")
        with pytest.raises(Http404):
            services_qr.self_check(
                visit.staff, visit.facility.pk, code, visit.booking.pk, "check_in"
            )
        attendance = services_qr.self_check(
            proxy, visit.facility.pk, code, visit.booking.pk, "check_in"
        )
    assert attendance.recorded_by == proxy
    grant.revoked_at = at(10, 30)
    grant.save()
    with clock.frozen(at(11)), pytest.raises(Http404):
        services_qr.self_check(
            proxy,
            visit.facility.pk,
            code_at(visit.facility, at(11)),
            visit.booking.pk,
            "check_out",
        )


# --- over HTTP ----------------------------------------------------------------------------------


def test_scan_confirm_over_http_with_login_first(visit):
    code = code_at(visit.facility, at(9, 58))
    url = reverse("attendance:qr_scan", args=[visit.facility.pk, code])
    client = Client()
    with clock.frozen(at(9, 58)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
        assert response["Location"].endswith("next=" + url)
        login_with_second_factor(client, visit.guardian)
        page = client.get(url)
        assert page.status_code == 200
        text = page.content.decode()
        assert visit.facility.name in text and "Check in 一花" in text
        assert not Attendance.objects.exists()  # the scan alone records nothing
        done = client.post(url, {"booking": visit.booking.pk, "action": "check_in"})
    assert done.status_code == 302 and done["Location"] == reverse("attendance:visits")
    assert Attendance.objects.get().check_in_source == TapSource.QR
    with clock.frozen(at(9, 59)):
        again = client.post(url, {"booking": visit.booking.pk, "action": "check_in"})
    assert again.status_code == 400
    assert "already checked in" in again.content.decode()
    with clock.frozen(at(10, 30)):
        late = client.get(url)
    assert late.status_code == 400 and "no longer valid" in late.content.decode()


def test_the_staff_day_screen_shows_the_qr_mark_and_links_the_tablet(visit):
    code = code_at(visit.facility, at(10))
    with clock.frozen(at(10)):
        services_qr.self_check(
            visit.guardian, visit.facility.pk, code, visit.booking.pk, "check_in"
        )
        client = Client()
        login_with_second_factor(client, visit.staff)
        day = client.get(reverse("attendance:staff_day")).content.decode()
        tablet = client.get(reverse("attendance:staff_qr"))
    assert 'data-testid="qr-mark"' in day and "In the room since 10:00" in day
    assert reverse("attendance:staff_qr") in day
    assert tablet.status_code == 200
    html = tablet.content.decode()
    assert visit.facility.name in html and "<svg" in html
    assert 'http-equiv="refresh" content="60"' in html
    assert visit.child.given_name not in html
    assert visit.staff.email not in html and "<nav" not in html  # a kiosk page: no navigation
    assert tablet["Cache-Control"].startswith("max-age=0")


def test_the_day_screens_fingerprint_changes_with_a_qr_check_in(visit):
    client = Client()
    login_with_second_factor(client, visit.staff)
    url = reverse("attendance:staff_day_version")
    with clock.frozen(at(9, 58)):
        before = client.get(url).json()["version"]
        day = client.get(reverse("attendance:staff_day")).content.decode()
        assert f'data-version="{before}"' in day
        assert client.get(url).json()["version"] == before
        assert services_qr.fingerprint_of_page(services_staff.day_for(visit.staff)) == before
        services_qr.self_check(
            visit.guardian,
            visit.facility.pk,
            code_at(visit.facility, at(9, 58)),
            visit.booking.pk,
            "check_in",
        )
        after = client.get(url).json()["version"]
        assert (
            f'data-version="{after}"'
            in client.get(reverse("attendance:staff_day")).content.decode()
        )
        other_day = client.get(url, {"date": "2026-12-02"}).json()["version"]
    assert after != before and other_day not in (before, after)
    # Another facility's staff get their own (empty) day's fingerprint.
    other = Client()
    f.second_factor(visit.other_staff)
    login_with_second_factor(other, visit.other_staff)
    with clock.frozen(at(9, 58)):
        assert other.get(url).json()["version"] not in (before, after)


def test_the_confirmation_is_rate_limited(visit, settings):
    settings.RATE_LIMITS = settings.RATE_LIMITS | {"qr_check_in": "1/h/user"}
    code = code_at(visit.facility, at(10))
    url = reverse("attendance:qr_scan", args=[visit.facility.pk, code])
    client = Client()
    login_with_second_factor(client, visit.guardian)
    with clock.frozen(at(10)):
        assert (
            client.post(url, {"booking": visit.booking.pk, "action": "check_out"}).status_code
            == 400
        )
        assert client.get(url).status_code == 200  # the scan is not counted
        refused = client.post(url, {"booking": visit.booking.pk, "action": "check_in"})
    assert refused.status_code == 429
    assert not Attendance.objects.exists()
