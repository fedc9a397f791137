"""A ward's worth of data, built fast with ``bulk_create``: for pinning query counts at a real
size (issue 5: "200 children, 30 facilities, a year of visits") and for bench/.

:func:`build` makes one municipality with ``children`` certified children in households (some
with siblings, each with a guardian), ``facilities`` facilities with one place slot a day
(9:00-17:00, 10 places) for the year before ``today`` and two weeks after it, a year of visits
(each child every ``every`` days, at one facility; past visits attended, one in ten a no-show,
some children never come) and ``waiting`` applications waiting for review, submitted 0 to 45
days ago. Row count: about 200 households and guardians, 11,000 slots, 5,000 bookings and
attendances with the defaults. Runs in a few seconds on PostgreSQL and SQLite.

It needs a tenant scope (tests have one; bench/ opens ``cross_tenant``).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from django.utils import timezone

from tsuen.accounts.models import Role, User
from tsuen.attendance.models import Attendance, AttendanceStatus
from tsuen.booking.models import Booking, BookingKind
from tsuen.certification.models import (
    Application,
    ApplicationChild,
    ApplicationStatus,
    Certification,
    CertificationStatus,
)
from tsuen.core import clock
from tsuen.facilities.models import Facility, FacilityType, PlaceSlot
from tsuen.families.models import Child, Guardian, Household, Sex
from tsuen.municipalities.models import Municipality, StaffNetwork

_run = itertools.count(1)
SLOT_START, SLOT_END = dt.time(9, 0), dt.time(17, 0)
VISIT_START, VISIT_END = dt.time(10, 0), dt.time(13, 0)  # 180 billable minutes
NEVER_COME = 20  # one child in 20 never comes
SUBMITTED = ApplicationStatus.SUBMITTED


@dataclass
class Ward:
    municipality: Municipality
    children: list[Child]
    facilities: list[Facility]
    bookings: int
    attended: int
    waiting: int


def _users(prefix: str, count: int, role: str) -> list[User]:
    return User.objects.bulk_create(
        User(email=f"{prefix}-{role}-{i}@example.jp", role=role, password="!") for i in range(count)
    )


def families(
    ward: Municipality, users: list[User], family_name: str, kana: str, prefix: str
) -> list[Household]:
    """One household in the ward per user, each with that user as its primary guardian (bulk
    inserts; used by the ward-size data here and by bench.booking_rush)."""
    households = Household.objects.bulk_create(
        Household(
            municipality=ward,
            postal_code="160-0022",
            prefecture="東京都",
            city="新宿区",
            address_line=f"新宿{i}-1-1",
        )
        for i in range(len(users))
    )
    Guardian.objects.bulk_create(
        Guardian(
            household=h,
            user=users[i],
            family_name=family_name,
            given_name=f"保護者{i}",
            family_name_kana=kana,
            given_name_kana="ホゴシャ",
            birth_date=dt.date(1990, 1, 1),
            sex=Sex.FEMALE,
            relation="母",
            phone="090-0000-0000",
            email=f"{prefix}-g{i}@example.jp",
            is_primary=True,
        )
        for i, h in enumerate(households)
    )
    return households


def build(
    today: dt.date,
    *,
    children: int = 200,
    facilities: int = 30,
    days: int = 365,
    every: int = 14,
    waiting: int = 20,
    municipality: Municipality | None = None,
) -> Ward:
    run = next(_run)
    prefix = f"ward{run}"
    tz = timezone.get_current_timezone()
    if municipality is None:
        ward = Municipality.objects.create(
            code=f"{80000 + run:05d}", name=f"規模区{run}", prefecture="東京都"
        )
        for cidr in ("127.0.0.0/8", "::1/128"):  # its staff log in from this machine
            StaffNetwork.objects.create(municipality=ward, cidr=cidr)
    else:
        ward = municipality
    staff = User.objects.create(
        email=f"{prefix}-certifier@example.jp",
        role=Role.MUNICIPAL_REVIEWER,
        municipality=ward,
        password="!",
    )
    parents = _users(prefix, children, Role.GUARDIAN)

    household_count = max(1, children * 5 // 6)  # one household in five has two children
    households = families(ward, parents[:household_count], "規模", "キボ", prefix)
    kids = Child.objects.bulk_create(
        Child(
            household=households[i * household_count // children],
            family_name="規模",
            given_name=f"子{run}の{i}",
            family_name_kana="キボ",
            given_name_kana="コ",
            birth_date=today - dt.timedelta(days=200 + (i * 4) % 800),
            sex=Sex.MALE if i % 2 else Sex.FEMALE,
        )
        for i in range(children)
    )
    now = clock.now()
    Certification.objects.bulk_create(
        Certification(
            municipality=ward,
            child=kid,
            number=f"WS{run}-{i:05d}",
            valid_from=today - dt.timedelta(days=i * days // children),
            valid_to=today + dt.timedelta(days=700),
            status=CertificationStatus.ACTIVE,
            certified_at=now - dt.timedelta(days=i * days // children),
            certified_by=staff,
        )
        for i, kid in enumerate(kids)
    )

    places = Facility.objects.bulk_create(
        Facility(
            municipality=ward,
            name=f"規模保育園{run}-{i:02d}",
            facility_type=FacilityType.GENERAL,
            postal_code="160-0022",
            address="東京都新宿区新宿2-2-2",
        )
        for i in range(facilities)
    )
    first = today - dt.timedelta(days=days)
    dates = [first + dt.timedelta(days=d) for d in range(days + 15)]
    slots = PlaceSlot.objects.bulk_create(
        PlaceSlot(
            facility=f,
            date=d,
            starts_at=SLOT_START,
            ends_at=SLOT_END,
            age_class=1,
            capacity=10,
        )
        for f in places
        for d in dates
    )
    slot_of = {(s.facility_id, s.date): s for s in slots}

    bookings = []
    for i, kid in enumerate(kids):
        if i % NEVER_COME == 0:
            continue
        facility = places[i % facilities]
        for d in dates[i % every :: every]:
            bookings.append(
                Booking(
                    child=kid,
                    facility=facility,
                    place_slot=slot_of[(facility.pk, d)],
                    date=d,
                    starts_at=dt.datetime.combine(d, VISIT_START, tzinfo=tz),
                    ends_at=dt.datetime.combine(d, VISIT_END, tzinfo=tz),
                    kind=BookingKind.FLEXIBLE,
                    billable_minutes=180,
                    booked_by=parents[0],
                )
            )
    bookings = Booking.objects.bulk_create(bookings, batch_size=2000)
    attendances = [
        Attendance(
            booking=b,
            status=AttendanceStatus.NO_SHOW if n % 10 == 9 else AttendanceStatus.PRESENT,
            checked_in_at=None if n % 10 == 9 else b.starts_at,
            checked_out_at=None if n % 10 == 9 else b.ends_at,
            billable_minutes=None if n % 10 == 9 else 180,
            recorded_by=staff,
        )
        for n, b in enumerate(b for b in bookings if b.date < today)
    ]
    Attendance.objects.bulk_create(attendances, batch_size=2000)

    applicants = _users(f"{prefix}-apply", waiting, Role.GUARDIAN)
    applications = Application.objects.bulk_create(
        Application(
            municipality=ward,
            household=kids[i % children].household,
            applicant=applicants[i],
            status=(
                ApplicationStatus.CORRECTION_REQUESTED
                if i % 4 == 3
                else ApplicationStatus.SUBMITTED
            ),
            declared_fee_class="none",
            message_to_applicant="",
            entries={},
            submitted_at=now - dt.timedelta(days=i * 45 // max(waiting, 1)),
        )
        for i in range(waiting)
    )
    ApplicationChild.objects.bulk_create(
        ApplicationChild(
            application=a, child=kids[i % children], declares_no_excluded_enrolment=True
        )
        for i, a in enumerate(applications)
    )
    return Ward(
        municipality=ward,
        children=kids,
        facilities=places,
        bookings=len(bookings),
        attended=sum(a.status == AttendanceStatus.PRESENT for a in attendances),
        waiting=waiting,
    )
