"""Small builders for test data. Plain functions: explicit, easy to read in a test."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from tsuen.accounts.models import Role, User
from tsuen.booking.models import Booking, BookingKind
from tsuen.certification.models import Certification
from tsuen.facilities.models import Facility, FacilityType, Interview, InterviewStatus, PlaceSlot
from tsuen.families.models import Child, Guardian, Household, Sex
from tsuen.municipalities.models import Municipality, StaffNetwork

_seq = itertools.count(1)
_ward_codes = itertools.count(1)
PASSWORD = "correct-horse-battery-staple"


#: The staff network ranges test wards get: this machine, where the test client (127.0.0.1) and
#: the browser tests' live server connect from.
LOOPBACK_RANGES = ("127.0.0.0/8", "::1/128")


def municipality(
    code: str | None = None,
    name: str = "テスト区",
    staff_networks: tuple[str, ...] = LOOPBACK_RANGES,
    **kw,
) -> Municipality:
    """A ward whose staff may connect from ``staff_networks`` (default: loopback; ``()``: a
    ward without ranges, which refuses its staff)."""
    n = next(_seq)
    # Five digits from a counter of their own: the shared one passes 10,000 in a long session
    # (a test that builds thousands of rows), and a code has five characters.
    ward_code = f"{90000 + next(_ward_codes) % 10000:05d}"
    ward = Municipality.objects.create(
        code=code or ward_code, name=f"{name}{n}", **({"prefecture": "東京都"} | kw)
    )
    for cidr in staff_networks:
        StaffNetwork.objects.create(municipality=ward, cidr=cidr, note="test: this machine")
    return ward


def user(role: str = Role.GUARDIAN, **kw) -> User:
    n = next(_seq)
    kw.setdefault("email", f"{role}{n}@example.jp")
    return User.objects.create_user(password=PASSWORD, role=role, **kw)


def household(muni: Municipality, **kw) -> Household:
    defaults = dict(
        postal_code="160-0022", prefecture="東京都", city="新宿区", address_line="新宿1-1-1"
    )
    return Household.objects.create(municipality=muni, **(defaults | kw))


def guardian(hh: Household, user_account: User | None = None, **kw) -> Guardian:
    defaults = dict(
        family_name="試験",
        given_name="花子",
        family_name_kana="シケン",
        given_name_kana="ハナコ",
        birth_date=dt.date(1990, 5, 1),
        sex=Sex.FEMALE,
        relation="母",
        phone="090-0000-0000",
        email="hanako@example.jp",
        is_primary=True,
    )
    return Guardian.objects.create(household=hh, user=user_account, **(defaults | kw))


def child(hh: Household, birth_date: dt.date = dt.date(2024, 4, 10), **kw) -> Child:
    defaults = dict(
        family_name="試験",
        given_name="太郎",
        family_name_kana="シケン",
        given_name_kana="タロウ",
        birth_date=birth_date,
        sex=Sex.MALE,
    )
    return Child.objects.create(household=hh, **(defaults | kw))


def family(muni: Municipality, *, consented: bool = True, **child_kw):
    """A guardian account with a household and one child: (user, household, child). The
    household has agreed to the current purpose notice, as every family that applied has
    (``consented=False``: one that has not, or withdrew)."""
    account = user(Role.GUARDIAN)
    hh = household(muni)
    guardian(hh, account)
    if consented:
        consent(hh, account)
    return account, hh, child(hh, **child_kw)


def consent(hh: Household, by: User, version: int | None = None):
    """The household's consent, given by ``by``, to the purpose notice (the current one)."""
    from tsuen.consent.models import Consent
    from tsuen.consent.notice import current_notice

    return Consent.objects.create(
        household=hh,
        given_by=by,
        notice_version=version or current_notice().version,
        given_at=timezone.now(),
    )


def facility(muni: Municipality, **kw) -> Facility:
    """A facility with a facility number (事業所番号) registered, as a facility that submits
    claims has; ``facility_number=""`` for one the ward has not numbered yet."""
    n = next(_seq)
    defaults = dict(
        name=f"テスト保育園{n}",
        facility_number=f"{muni.code[:2]}{n:08d}",
        facility_type=FacilityType.GENERAL,
        postal_code="160-0022",
        address="東京都新宿区新宿2-2-2",
    )
    return Facility.objects.create(municipality=muni, **(defaults | kw))


def certification(kid: Child, by: User, **kw) -> Certification:
    muni = kid.household.municipality
    n = next(_seq)
    defaults = dict(
        number=f"T{n:06d}",
        valid_from=dt.date(2024, 10, 10),
        valid_to=dt.date(2027, 4, 8),
        certified_at=timezone.now(),
    )
    return Certification.objects.create(
        municipality=muni, child=kid, certified_by=by, **(defaults | kw)
    )


def interview(kid: Child, fac: Facility, by: User, status=InterviewStatus.ACCEPTED, **kw):
    return Interview.objects.create(child=kid, facility=fac, requested_by=by, status=status, **kw)


def place_slot(fac: Facility, date: dt.date, age_class: int = 1, capacity: int = 3, **kw):
    defaults = dict(starts_at=dt.time(9, 0), ends_at=dt.time(17, 0))
    return PlaceSlot.objects.create(
        facility=fac, date=date, age_class=age_class, capacity=capacity, **(defaults | kw)
    )


def booking(kid: Child, slot: PlaceSlot, by: User, start=dt.time(10), end=dt.time(12), **kw):
    tz = timezone.get_current_timezone()
    starts = dt.datetime.combine(slot.date, start, tzinfo=tz)
    ends = dt.datetime.combine(slot.date, end, tzinfo=tz)
    defaults = dict(
        kind=BookingKind.FLEXIBLE,
        billable_minutes=int((ends - starts).total_seconds() // 60),
    )
    return Booking.objects.create(
        child=kid,
        facility=slot.facility,
        place_slot=slot,
        date=slot.date,
        starts_at=starts,
        ends_at=ends,
        booked_by=by,
        **(defaults | kw),
    )


def second_factor(account: User) -> str:
    """Give a staff account a TOTP authenticator (as allauth stores it); returns the secret."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(account, secret)
    return secret


def started_application(applicant: User, municipality_id: int, **kw):
    """``certification.services.start`` and the household's consent to the purpose notice
    (the page asks for it before the form): a draft ready to fill in."""
    from tsuen.certification import services

    application = services.start(applicant, municipality_id, **kw)
    from tsuen.consent.models import Consent

    if not Consent.objects.filter(household_id=application.household_id).exists():
        consent(application.household, applicant)
    return application
