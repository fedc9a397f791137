"""A facility system's operations: the day's bookings with the care fields, check-in,
check-out, no-show, the daily record with ETags, places and capacity, the month's claims."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from tests.api.conftest import VISIT_DAY, bearer, make_client
from tsuen.attendance.models import Attendance, DailyRecord, RecordStatus
from tsuen.audit.models import AuditEvent
from tsuen.core import clock
from tsuen.families.models import Child

pytestmark = pytest.mark.django_db
TZ = timezone.get_fixed_timezone(9 * 60)
ALL = [
    "facility.bookings.read",
    "facility.attendance.write",
    "facility.records.write",
    "facility.places.read",
    "facility.capacity.write",
    "facility.claims.read",
]


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(VISIT_DAY, dt.time(hour, minute), tzinfo=TZ)


@pytest.fixture
def api(client, scene):
    child = Child.objects.get(pk=scene.child.pk)
    child.allergies = ["卵"]
    child.meal_requirements = "豚肉なし"
    child.save()
    c, token = make_client(scene.manager, ALL)

    class Api:
        def get(self, path, data=None, **headers):
            return client.get(f"/api/v1{path}", data, **bearer(token), **headers)

        def send(self, method, path, body=None, **headers):
            return getattr(client, method)(
                f"/api/v1{path}",
                json.dumps(body or {}),
                content_type="application/json",
                **bearer(token),
                **headers,
            )

    Api.client = c
    return Api()


def test_the_days_bookings_show_the_care_fields_and_are_audited_as_the_client(api, scene):
    with clock.frozen(at(9, 0)):
        response = api.get("/facility/bookings", {"date": VISIT_DAY.isoformat()})
    assert response.status_code == 200, response.content
    assert response["ETag"]
    [item] = response.json()["items"]
    assert item["id"] == scene.booking.pk
    assert item["child"]["care"]["allergies"] == ["卵"]
    assert item["child"]["care"]["meal_requirements"] == "豚肉なし"
    assert item["attendance"]["state"] == "expected"
    assert scene.other_booking.pk not in [i["id"] for i in response.json()["items"]]
    assert AuditEvent.objects.filter(
        actor_id=api.client.user_id,
        action="read",
        object_type="families.child",
        object_id=str(scene.child.pk),
    ).exists()


def test_check_in_check_out_over_the_api(api, scene):
    with clock.frozen(at(9, 58)):
        response = api.send("post", f"/facility/bookings/{scene.booking.pk}/check-in")
        assert response.status_code == 200, response.content
        assert response.json()["state"] == "present"
        again = api.send("post", f"/facility/bookings/{scene.booking.pk}/check-in")
        assert again.status_code == 409
        assert again["Content-Type"] == "application/problem+json"
    with clock.frozen(at(12, 0)):
        out = api.send("post", f"/facility/bookings/{scene.booking.pk}/check-out")
    assert out.status_code == 200, out.content
    assert out.json()["state"] == "left"
    assert Attendance.objects.get(booking=scene.booking).recorded_by_id == api.client.user_id


def test_check_in_on_the_wrong_day_is_409_and_writes_nothing(api, scene):
    with clock.frozen(at(9, 0) - dt.timedelta(days=1)):
        response = api.send("post", f"/facility/bookings/{scene.booking.pk}/check-in")
    assert response.status_code == 409
    assert not Attendance.objects.filter(booking=scene.booking).exists()


def test_no_show(api, scene):
    with clock.frozen(at(15, 0)):
        response = api.send("post", f"/facility/bookings/{scene.booking.pk}/no-show")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "no_show"


def test_other_tenants_booking_is_404(api, scene):
    with clock.frozen(at(9, 58)):
        for path in ("check-in", "check-out", "no-show"):
            r = api.send("post", f"/facility/bookings/{scene.other_booking.pk}/{path}")
            assert r.status_code == 404, path
        assert (
            api.get(f"/facility/bookings/{scene.other_booking.pk}/daily-record").status_code == 404
        )
    assert not Attendance.objects.filter(booking=scene.other_booking).exists()


def test_daily_record_needs_if_match_and_refuses_a_stale_one(api, scene):
    path = f"/facility/bookings/{scene.booking.pk}/daily-record"
    body = {"meals": "完食", "nap": "13:00-14:30", "notes": "元気でした", "publish": False}
    with clock.frozen(at(14, 0)):
        first = api.get(path)
        assert first.status_code == 200 and first.json()["status"] == "none"
        etag = first["ETag"]
        assert api.send("put", path, body).status_code == 428
        assert not DailyRecord.objects.filter(booking=scene.booking).exists()
        draft = api.send("put", path, body, HTTP_IF_MATCH=etag)
        assert draft.status_code == 200, draft.content
        assert draft.json()["status"] == "draft"
        # The old ETag is stale now: a second system that read before cannot overwrite.
        stale = api.send("put", path, {**body, "meals": "半分"}, HTTP_IF_MATCH=etag)
        assert stale.status_code == 412
        assert DailyRecord.objects.get(booking=scene.booking).meals == "完食"
        published = api.send("put", path, {**body, "publish": True}, HTTP_IF_MATCH=draft["ETag"])
        assert published.status_code == 200, published.content
    assert DailyRecord.objects.get(booking=scene.booking).status == RecordStatus.PUBLISHED


def test_daily_record_bad_input_is_422(api, scene):
    path = f"/facility/bookings/{scene.booking.pk}/daily-record"
    with clock.frozen(at(14, 0)):
        etag = api.get(path)["ETag"]
        r = api.send("put", path, {"temperature": 50}, HTTP_IF_MATCH=etag)
        assert r.status_code == 422
        assert r.json()["errors"][0]["field"] == "temperature"
        empty = api.send("put", path, {"publish": True}, HTTP_IF_MATCH=etag)
        assert empty.status_code == 409  # an empty record cannot be published
    assert not DailyRecord.objects.filter(booking=scene.booking).exists()


def test_places_and_capacity_with_etag(api, scene):
    with clock.frozen(at(8, 0)):
        page = api.get(
            "/facility/places", {"from": VISIT_DAY.isoformat(), "to": VISIT_DAY.isoformat()}
        )
        assert page.status_code == 200, page.content
        [slot] = page.json()["items"]
        assert slot["id"] == scene.slot.pk and slot["booked"] == 1
        one = api.get(f"/facility/places/{scene.slot.pk}")
        etag = one["ETag"]
        path = f"/facility/places/{scene.slot.pk}/capacity"
        assert api.send("put", path, {"capacity": 5}).status_code == 428
        assert api.send("put", path, {"capacity": 5}, HTTP_IF_MATCH='"stale"').status_code == 412
        done = api.send("put", path, {"capacity": 5}, HTTP_IF_MATCH=etag)
        assert done.status_code == 200, done.content
        assert done.json()["capacity"] == 5
        assert api.send("put", path, {"capacity": 0}, HTTP_IF_MATCH=done["ETag"]).status_code == 409
        assert api.get(f"/facility/places/{scene.other_slot.pk}").status_code == 404


def test_claims_of_the_month(api, scene):
    from tsuen.billing.models import Claim

    Claim.objects.create(
        facility=scene.facility, paying_municipality=scene.ward, year=2026, month=11
    )
    Claim.objects.create(
        facility=scene.other_facility, paying_municipality=scene.other_ward, year=2026, month=11
    )
    r = api.get("/facility/claims", {"year": 2026, "month": 11})
    assert r.status_code == 200, r.content
    [claim] = r.json()["items"]
    assert claim["status"] == "draft"
    assert claim["paying_municipality_code"] == scene.ward.code


def test_a_read_only_wards_write_is_423_problem_and_writes_nothing(api, scene):
    """An emergency switch made the ward read-only (docs/incident.md): the facility system's
    check-in is refused as documented in the OpenAPI (423), and its reads still answer."""
    from tsuen.incident.models import EmergencySwitch, Kind

    EmergencySwitch.objects.create(
        kind=Kind.READ_ONLY,
        municipality=scene.ward,
        reason="調査中",
        started_by=scene.admin,
        started_at=clock.now(),
    )
    type(scene.ward).objects.filter(pk=scene.ward.pk).update(read_only=True)
    with clock.frozen(at(9, 58)):
        response = api.send("post", f"/facility/bookings/{scene.booking.pk}/check-in")
        assert api.get("/facility/bookings", {"date": VISIT_DAY.isoformat()}).status_code == 200
    assert response.status_code == 423, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert not Attendance.objects.filter(booking=scene.booking).exists()
