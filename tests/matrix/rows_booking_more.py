"""The waitlist, regular-use requests and the hours page: the family's own pages. Facilities and
wards reach none of them (a facility's view of its queue goes through the service layer)."""

from __future__ import annotations

import datetime as dt

import jpholiday
from django.utils import timezone

from tests import factories as f
from tests.matrix.base import FAMILY, LOGIN, Row, arg, ok
from tsuen import rules
from tsuen.accounts.models import Role
from tsuen.booking.models import RegularUseRequest, WaitlistEntry, WaitlistStatus
from tsuen.certification.models import Certification, CertificationStatus
from tsuen.core import clock
from tsuen.facilities.models import HolidayOpening, PlaceTemplate
from tsuen.municipalities.models import MunicipalPolicy


def _aware(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())


def _ensure_policy(ward, fiscal_year: int) -> None:
    if not MunicipalPolicy.objects.filter(municipality=ward, fiscal_year=fiscal_year).exists():
        policy = rules.national_default_policy(fiscal_year)
        MunicipalPolicy.from_rules(ward, policy, policy.first_day).save()


def extend(world):
    ward, child, guardian = world["ward"], world["own_child"], world["users"]["guardian"]
    today = clock.today()
    for day in (today, today + dt.timedelta(days=60)):
        _ensure_policy(ward, rules.fiscal_year_of(day))
    if not Certification.objects.filter(child=child, status=CertificationStatus.ACTIVE).exists():
        staff = f.user(Role.MUNICIPAL_REVIEWER, municipality=ward)
        f.certification(child, staff, valid_from=today - dt.timedelta(days=30))
    facility = f.facility(ward, offers_regular=True)
    f.interview(child, facility, guardian)
    age_class = rules.age_class(child.birth_date, rules.fiscal_year_of(today))
    for weekday in range(1, 6):  # regular use is asked for a weekday the facility opens
        PlaceTemplate.objects.create(
            facility=facility, weekday=weekday, starts_at=dt.time(9), ends_at=dt.time(17),
            age_class=age_class, places=3,
        )  # fmt: skip
    _filler, _household, filler = f.family(ward, given_name="満", given_name_kana="ミツル")

    def full_slot(days: int, capacity: int = 1):
        day = today + dt.timedelta(days=days)
        if jpholiday.is_holiday(day):  # a holiday is closed: its waitlist cannot be joined
            HolidayOpening.objects.create(facility=facility, date=day)
        slot = f.place_slot(facility, day, age_class=age_class, capacity=capacity)
        f.booking(filler, slot, _filler)
        return slot

    waiting_slot, offered_slot = full_slot(10), full_slot(11, capacity=2)
    world["waitlist_join_slot"] = full_slot(12)
    world["waiting_entry"] = WaitlistEntry.objects.create(
        place_slot=waiting_slot,
        child=child,
        starts_at=_aware(waiting_slot.date, 10),
        ends_at=_aware(waiting_slot.date, 12),
        requested_by=guardian,
    )
    world["offered_entry"] = WaitlistEntry.objects.create(
        place_slot=offered_slot,
        child=child,
        starts_at=_aware(offered_slot.date, 10),
        ends_at=_aware(offered_slot.date, 12),
        requested_by=guardian,
        status=WaitlistStatus.OFFERED,
        offered_at=clock.now(),
        offer_expires_at=clock.now() + dt.timedelta(hours=12),
    )
    world["regular_facility"] = facility
    world["regular_request"] = RegularUseRequest.objects.create(
        child=child,
        facility=facility,
        weekday=2,
        starts_at=dt.time(9),
        ends_at=dt.time(12),
        period_from=today + dt.timedelta(days=20),
        period_to=today + dt.timedelta(days=80),
        requested_by=guardian,
    )


def _join(world):
    return {"child": world["own_child"].pk, "start": "10:00", "end": "12:00"}


def _regular(world):
    today = clock.today()
    return {
        "facility": world["regular_facility"].pk,
        "child": world["own_child"].pk,
        "weekday": 4,
        "start": "09:00",
        "end": "11:00",
        "period_from": (today + dt.timedelta(days=14)).isoformat(),
        "period_to": (today + dt.timedelta(days=60)).isoformat(),
        "note": "",
    }


FAMILY_PAGE = {"anonymous": LOGIN} | ok(*FAMILY)
FAMILY_ACTS = {"anonymous": LOGIN} | ok(*FAMILY, status=302)

ROWS = {
    "booking:waitlist": Row(404, FAMILY_PAGE),
    "booking:waitlist_join": Row(404, FAMILY_PAGE, args=arg("waitlist_join_slot")),
    "booking:waitlist_join@post": Row(
        404, FAMILY_ACTS, args=arg("waitlist_join_slot"), method="post", data=_join
    ),
    "booking:waitlist_accept": Row(404, FAMILY_ACTS, args=arg("offered_entry"), method="post"),
    "booking:waitlist_withdraw": Row(404, FAMILY_ACTS, args=arg("waiting_entry"), method="post"),
    "booking:regular_list": Row(404, FAMILY_PAGE),
    "booking:regular_request": Row(404, FAMILY_PAGE),
    "booking:regular_request@post": Row(404, FAMILY_ACTS, method="post", data=_regular),
    "booking:regular_withdraw": Row(404, FAMILY_ACTS, args=arg("regular_request"), method="post"),
    "booking:hours": Row(404, FAMILY_PAGE),
}
