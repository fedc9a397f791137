"""Demo data: a ward modelled on Shinjuku and a neighbouring ward on the national defaults.

Every person here is fictional (surnames 見本 "sample" and 試用 "trial"); addresses are
real-looking street addresses of real neighbourhoods, not real households. Facilities have
invented names. Nothing here is presented as real data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tsuen.accounts.models import Role, User
from tsuen.accounts.services import create_user, enable_totp
from tsuen.attendance.models import Attendance, AttendanceStatus, DailyRecord, RecordStatus
from tsuen.audit import record
from tsuen.audit.sequencer import seal
from tsuen.billing import services as billing
from tsuen.booking.models import Booking, BookingKind
from tsuen.certification import changes
from tsuen.certification.models import (
    Application,
    ApplicationChild,
    ApplicationStatus,
    ApplicationStatusChange,
    Certification,
    ChangeKind,
)
from tsuen.consent.models import Consent
from tsuen.consent.notice import current_notice
from tsuen.core import clock, tenancy
from tsuen.facilities.calendar import closed_days
from tsuen.facilities.models import (
    BankAccountType,
    Facility,
    FacilityType,
    Interview,
    InterviewSlot,
    InterviewStatus,
    PlaceSlot,
    PlaceTemplate,
)
from tsuen.families.models import (
    Child,
    FeeClass,
    Guardian,
    Household,
    HouseholdFeeClass,
    ProxyGrant,
    Sex,
)
from tsuen.municipalities.models import (
    EligibilityEnd,
    Municipality,
    MunicipalPolicy,
    StaffNetwork,
)
from tsuen.rules import age_class as class_of
from tsuen.rules import (
    billable_minutes,
    eligibility_window,
    fiscal_year_of,
    national_default_policy,
    visit_billable_minutes,
)

# The demo's published login, printed by bin/demo (bandit B105).
DEMO_PASSWORD = "tsuen-demo-2026"  # nosec B105
DOMAIN = "demo.tsuen.example.jp"
FISCAL_YEAR = 2026
HOURS = 60
DEMO_CHILD_FIELDS = ["family_name", "given_name", "birth_date", "allergies", "vaccinations"]


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    where: str
    totp_secret: str | None


def _policy_rows(shinjuku: Municipality, nakano: Municipality) -> None:
    start = dt.date(FISCAL_YEAR, 4, 1)
    MunicipalPolicy.objects.create(
        municipality=shinjuku,
        fiscal_year=FISCAL_YEAR,
        effective_from=start,
        eligibility_end=EligibilityEnd.FISCAL_YEAR_END_AGE_3,
        excluded_enrolments=[
            "authorised_nursery",
            "certified_centre",
            "community_care",
            "employer_led",
        ],
        caps=[{"period": "fiscal_year", "limit_minutes": 160 * HOURS}],
        buckets=[
            {"payer": "national", "period": "month", "limit_minutes": 10 * HOURS, "national": True},
            {
                "payer": "prefecture",
                "period": "fiscal_year",
                "limit_minutes": None,
                "national": False,
            },
        ],
        reductions_per_hour={
            "public_assistance": 300,
            "tax_exempt": 240,
            "low_income": 210,
            "support_needed": 150,
        },
        staff_ratios={"0": 3, "1": 6, "2": 6},
    )
    MunicipalPolicy.from_rules(nakano, national_default_policy(FISCAL_YEAR), start).save()


#: The facilities' notice addresses, in the order of FACILITIES (made up, on example.jp).
NOTICE_MAILBOXES = (
    "hidamari-nishishinjuku",
    "komorebi-takadanobaba",
    "aozora-yotsuya",
    "sakuranbo-kagurazaka",
    "nakanonomori",
    "tsukushinbo-higashinakano",
)

FACILITIES = [
    # (ward, name, kana, type, postal code, address, lat, lon, regular, medical, allergy)
    (
        "13104",
        "ひだまり保育園 西新宿",
        "ヒダマリホイクエン ニシシンジュク",
        FacilityType.GENERAL,
        "160-0023",
        "東京都新宿区西新宿4-15-3",
        "35.688900",
        "139.687300",
        True,
        False,
        True,
    ),
    (
        "13104",
        "こもれび保育室 高田馬場",
        "コモレビホイクシツ タカダノババ",
        FacilityType.SPARE_CAPACITY,
        "169-0075",
        "東京都新宿区高田馬場2-14-9",
        "35.712600",
        "139.705300",
        False,
        False,
        False,
    ),
    (
        "13104",
        "あおぞら保育園 四谷",
        "アオゾラホイクエン ヨツヤ",
        FacilityType.GENERAL,
        "160-0004",
        "東京都新宿区四谷3-9-1",
        "35.687700",
        "139.723900",
        True,
        True,
        True,
    ),
    (
        "13104",
        "さくらんぼ保育園 神楽坂",
        "サクランボホイクエン カグラザカ",
        FacilityType.SPARE_CAPACITY,
        "162-0825",
        "東京都新宿区神楽坂5-2-8",
        "35.702300",
        "139.737900",
        False,
        False,
        True,
    ),
    (
        "13114",
        "なかのの森保育園",
        "ナカノノモリホイクエン",
        FacilityType.GENERAL,
        "164-0001",
        "東京都中野区中野3-33-5",
        "35.703800",
        "139.665700",
        True,
        False,
        False,
    ),
    (
        "13114",
        "つくしんぼ保育室 東中野",
        "ツクシンボホイクシツ ヒガシナカノ",
        FacilityType.SPARE_CAPACITY,
        "164-0003",
        "東京都中野区東中野1-56-2",
        "35.706800",
        "139.684700",
        False,
        True,
        True,
    ),
]

FAMILIES = [
    # ward, guardian (family, given, kana, kana), child (given, kana, birth, sex), fee class,
    # postal code, address
    (
        "13104",
        ("見本", "花子", "ミホン", "ハナコ"),
        ("一花", "イチカ", dt.date(2024, 4, 10), Sex.FEMALE),
        FeeClass.NONE,
        "160-0022",
        "新宿6-27-30",
    ),
    (
        "13104",
        ("見本", "健", "ミホン", "ケン"),
        ("陽向", "ヒナタ", dt.date(2025, 6, 3), Sex.MALE),
        FeeClass.TAX_EXEMPT,
        "169-0075",
        "高田馬場1-4-15",
    ),
    (
        "13104",
        ("試用", "由美", "シヨウ", "ユミ"),
        ("蒼", "アオイ", dt.date(2023, 9, 29), Sex.MALE),
        FeeClass.LOW_INCOME,
        "162-0825",
        "神楽坂2-11-4",
    ),
    (
        "13114",
        ("試用", "翔太", "シヨウ", "ショウタ"),
        ("結菜", "ユイナ", dt.date(2024, 12, 1), Sex.FEMALE),
        FeeClass.NONE,
        "164-0001",
        "中野2-9-7",
    ),
]


# Families whose application waits on the reviewer's desk (one of them for a month already).
WAITING_FAMILIES = [
    (
        "13104",
        ("試用", "美咲", "シヨウ", "ミサキ"),
        ("湊", "ミナト", dt.date(2025, 2, 14), Sex.MALE),
        FeeClass.NONE,
        "160-0004",
        "四谷3-1-5",
        30,
    ),
    (
        "13104",
        ("見本", "直樹", "ミホン", "ナオキ"),
        ("紬", "ツムギ", dt.date(2024, 8, 22), Sex.FEMALE),
        FeeClass.LOW_INCOME,
        "161-0033",
        "下落合4-6-2",
        3,
    ),
]


def _tz_dt(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=timezone.get_current_timezone())


def _weekdays(first: dt.date, last: dt.date, facility: Facility | None = None):
    """Monday to Friday, first..last; with ``facility``, only the days it is open (never a
    national holiday or a closure day: ``facilities.calendar``)."""
    closed = closed_days(facility.pk, first, last) if facility is not None else {}
    day = first
    while day <= last:
        if day.weekday() < 5 and day not in closed:
            yield day
        day += dt.timedelta(days=1)


#: The demo wards' staff network ranges (DEBUG only): this machine.
DEMO_STAFF_NETWORKS = ("127.0.0.0/8", "::1/128")


@transaction.atomic
def load(today: dt.date) -> list[DemoLogin]:
    """Create the demo world around ``today``. Returns the demo logins."""
    with tenancy.cross_tenant("demo data loader"):
        logins = _load(today)
    seal()  # the world's audit events take their places in the chains at once
    return logins


def _load(today: dt.date) -> list[DemoLogin]:
    shinjuku = Municipality.objects.create(
        code="13104",
        name="新宿区",
        name_kana="シンジュクク",
        prefecture="東京都",
        certificate_prefix="SJ",
        head_title="新宿区長",
        office_department="子ども家庭部 保育課 こども誰でも通園担当",
        office_phone="03-5273-0000",
        office_address="〒160-8484 東京都新宿区歌舞伎町1-4-1",
        service_name="新宿区 こども誰でも通園",
    )
    nakano = Municipality.objects.create(
        code="13114",
        name="中野区",
        name_kana="ナカノク",
        prefecture="東京都",
        certificate_prefix="NK",
        head_title="中野区長",
        office_department="子ども教育部 保育園・幼稚園課",
        office_phone="03-3228-0000",
        office_address="〒164-8501 東京都中野区中野四丁目11番19号",
    )
    wards = {m.code: m for m in (shinjuku, nakano)}
    if settings.DEBUG:
        # The demo's "office network" is this machine, and only on a development server: a
        # production system never gets a range it did not choose.
        for ward in wards.values():
            for cidr in DEMO_STAFF_NETWORKS:
                StaffNetwork.objects.create(municipality=ward, cidr=cidr, note="demo: localhost")
    _policy_rows(shinjuku, nakano)

    facilities = []
    for n, (
        ward,
        name,
        kana,
        kind,
        postal,
        address,
        lat,
        lon,
        regular,
        medical,
        allergy,
    ) in enumerate(FACILITIES, start=1):
        facilities.append(
            Facility.objects.create(
                municipality=wards[ward],
                # A made-up facility number (事業所番号: the prefecture's 13, then eight
                # digits) and bank account for the claims (振込先).
                facility_number=f"{ward[:2]}{ward[2:]}{n:05d}",
                bank_name="みらい銀行",
                bank_branch=f"{wards[ward].name}支店",
                bank_account_type=BankAccountType.ORDINARY,
                bank_account_number=f"{1234560 + n:07d}",
                bank_account_holder=kana.replace(" ", "")[:100],
                name=name,
                name_kana=kana,
                facility_type=kind,
                postal_code=postal,
                address=address,
                latitude=lat,
                longitude=lon,
                phone="03-0000-0000",
                # Where the facility hears of interview requests, bookings and cancellations
                # (an example.jp address: in the demo every email lands in var/mail.log).
                notice_email=f"{NOTICE_MAILBOXES[n - 1]}@example.jp",
                offers_regular=regular,
                offers_flexible=True,
                medical_care_support=medical,
                allergy_support=allergy,
                opens_at=dt.time(9),
                closes_at=dt.time(17),
                what_to_bring=("着替え2組、おむつ5枚、おしりふき、タオル、水筒"),
                access="最寄り駅から徒歩5分",
            )
        )
    hidamari = facilities[0]

    logins: list[DemoLogin] = []

    def account(local: str, role: Role, where: str, **kw) -> User:
        user = create_user(f"{local}@{DOMAIN}", DEMO_PASSWORD, role, full_name=where, **kw)
        secret = enable_totp(user) if user.needs_second_factor else None
        logins.append(DemoLogin(user.email, role.label, where, secret))
        return user

    reviewer = account(
        "reviewer", Role.MUNICIPAL_REVIEWER, "新宿区 審査担当", municipality=shinjuku
    )
    account("payments", Role.MUNICIPAL_PAYMENTS, "新宿区 支払担当", municipality=shinjuku)
    account("admin", Role.MUNICIPAL_ADMIN, "新宿区 管理者", municipality=shinjuku)
    account("auditor", Role.AUDITOR, "新宿区 監査担当", municipality=shinjuku)
    account("nakano", Role.MUNICIPAL_REVIEWER, "中野区 審査担当", municipality=nakano)
    account("national", Role.NATIONAL_OPERATOR, "こども家庭庁 運用担当")
    manager = account("manager", Role.FACILITY_MANAGER, hidamari.name, facility=hidamari)
    staff = account("staff", Role.FACILITY_STAFF, hidamari.name, facility=hidamari)

    children: list[tuple[User, Child]] = []
    everyone = [(*family, None) for family in FAMILIES] + WAITING_FAMILIES
    for n, (ward, g, c, fee_class, postal, line, waiting_days) in enumerate(everyone, start=1):
        muni = wards[ward]
        local = "guardian" if n == 1 else f"guardian{n}"
        user = account(local, Role.GUARDIAN, f"{g[0]} {g[1]}")
        household = Household.objects.create(
            municipality=muni,
            postal_code=postal,
            prefecture="東京都",
            city=muni.name,
            address_line=line,
            support_needed=False,
        )
        Guardian.objects.create(
            household=household,
            user=user,
            family_name=g[0],
            given_name=g[1],
            family_name_kana=g[2],
            given_name_kana=g[3],
            birth_date=dt.date(1991, 2, 14),
            sex=Sex.FEMALE if g[1] in ("花子", "由美") else Sex.MALE,
            relation="保護者",
            phone=f"090-0000-{1000 + n}",
            email=user.email,
            is_primary=True,
        )
        # Each demo family agreed to the purpose notice when it applied (issue 12 item 3).
        Consent.objects.create(
            household=household,
            given_by=user,
            notice_version=current_notice().version,
            given_at=clock.now(),
        )
        if waiting_days is None:  # verified when the family was certified
            HouseholdFeeClass.objects.create(
                household=household,
                fee_class=fee_class,
                valid_from=dt.date(2026, 9, 1),
                valid_to=dt.date(2027, 8, 31),
                verified_by=reviewer,
                verified_at=timezone.now(),
            )
        child = Child.objects.create(
            household=household,
            family_name=g[0],
            given_name=c[0],
            family_name_kana=g[2],
            given_name_kana=c[1],
            birth_date=c[2],
            sex=c[3],
            allergies=["卵"] if n == 1 else [],
            medical_care=False,
            disability=False,
            meal_requirements="",
            illnesses=[],
            vaccinations=["BCG", "四種混合"],
            development_notes="",
            pickup_persons=[f"{g[0]} {g[1]}（保護者）"],
        )
        if waiting_days is not None:
            submitted = timezone.now() - dt.timedelta(days=waiting_days)
            application = Application.objects.create(
                municipality=muni,
                household=household,
                applicant=user,
                status=ApplicationStatus.SUBMITTED,
                declared_fee_class=fee_class,
                submitted_at=submitted,
            )
            ApplicationChild.objects.create(
                application=application, child=child, declares_no_excluded_enrolment=True
            )
            ApplicationStatusChange.objects.create(
                application=application,
                from_status="",
                to_status=ApplicationStatus.SUBMITTED,
                at=submitted,
                by=user,
            )
            record("create", child, fields=DEMO_CHILD_FIELDS)
            continue
        application = Application.objects.create(
            municipality=muni,
            household=household,
            applicant=user,
            status=ApplicationStatus.CERTIFIED,
            declared_fee_class=fee_class,
            submitted_at=timezone.now(),
            decided_at=timezone.now(),
        )
        ApplicationChild.objects.create(
            application=application, child=child, declares_no_excluded_enrolment=True
        )
        for before, after, by in (
            ("", ApplicationStatus.SUBMITTED, user),
            (ApplicationStatus.SUBMITTED, ApplicationStatus.CERTIFIED, reviewer),
        ):
            ApplicationStatusChange.objects.create(
                application=application,
                from_status=before,
                to_status=after,
                at=timezone.now(),
                by=by,
            )
        policy = MunicipalPolicy.objects.filter(municipality=muni).latest("effective_from")
        window = eligibility_window(child.birth_date, policy.to_rules())
        certification = Certification.objects.create(
            municipality=muni,
            child=child,
            application=application,
            number=f"{muni.certificate_prefix}{FISCAL_YEAR}-{n:05d}",
            valid_from=max(window.first_day, dt.date(FISCAL_YEAR, 4, 1)),
            valid_to=window.last_day,
            certified_at=timezone.now(),
            certified_by=reviewer,
        )
        changes.note([certification], ChangeKind.CERTIFIED)  # the ward systems' feed (issue 13)
        record("create", child, fields=DEMO_CHILD_FIELDS)
        children.append((user, child))
        if n == 1:  # the grandmother helps with bookings as a proxy user (代理利用者)
            proxy = account("proxy", Role.PROXY, "見本 和子（祖母）")
            ProxyGrant.objects.create(household=household, user=proxy, granted_by=user)

    # The first two Shinjuku children have been interviewed at ひだまり and come regularly.
    # Every facility offers first interviews on weekday afternoons over the next two weeks.
    for facility in facilities:
        for day in _weekdays(today + dt.timedelta(days=1), today + dt.timedelta(days=14), facility):
            InterviewSlot.objects.create(
                facility=facility, starts_at=_tz_dt(day, 14), ends_at=_tz_dt(day, 15), capacity=2
            )
    for user, child in children[:2]:
        Interview.objects.create(
            facility=hidamari,
            child=child,
            requested_by=user,
            status=InterviewStatus.ACCEPTED,
            held_minutes=40,
            follow_up_recorded=True,
            notes="面談実施。特記事項なし。",
            decided_at=timezone.now(),
        )
    # Each facility's weekly template (the manager generates further weeks from it).
    for facility in facilities:
        for weekday in range(1, 6):  # ISO weekdays: Monday 1 to Friday 5
            for age_class in (0, 1, 2):
                PlaceTemplate.objects.create(
                    facility=facility,
                    weekday=weekday,
                    starts_at=dt.time(9),
                    ends_at=dt.time(17),
                    age_class=age_class,
                    places=3 if age_class == 0 else 4,
                    staff_planned=1,
                )
    first = today.replace(day=1)
    last = (first + dt.timedelta(days=62)).replace(day=1) - dt.timedelta(days=1)
    for facility in facilities:
        for day in _weekdays(first, last, facility):
            for age_class in (0, 1, 2):
                PlaceSlot.objects.create(
                    facility=facility,
                    date=day,
                    starts_at=dt.time(9),
                    ends_at=dt.time(17),
                    age_class=age_class,
                    capacity=3 if age_class == 0 else 4,
                )
    fy_rules = {
        m.pk: MunicipalPolicy.objects.filter(municipality=m).latest("effective_from").to_rules()
        for m in wards.values()
    }
    for user, child in children[:2]:
        klass = class_of(child.birth_date, FISCAL_YEAR)
        tuesdays_and_thursdays = [
            d for d in _weekdays(first, last, hidamari) if d.weekday() in (1, 3)
        ]
        days = [d for d in tuesdays_and_thursdays if d < today][-2:] + [
            d for d in tuesdays_and_thursdays if d > today + dt.timedelta(days=1)
        ][:2]
        if today in _weekdays(today, today, hidamari):  # the day screen has children today
            days.append(today)
        for day in days:
            slot = PlaceSlot.objects.get(facility=hidamari, date=day, age_class=klass)
            _visit(child, user, slot, staff, fy_rules, attended=day < today, writer=manager)
    _last_month_claim(hidamari, manager, staff, children[:2], today, fy_rules)
    return logins


def _visit(child, user, slot, staff, fy_rules, *, attended: bool, writer) -> Booking:
    """A 10:00-12:00 flexible visit in ``slot``; when ``attended``, its attendance (picked up
    five minutes late) and the published daily record."""
    starts, ends = _tz_dt(slot.date, 10), _tz_dt(slot.date, 12)
    booking = Booking.objects.create(
        child=child,
        facility=slot.facility,
        place_slot=slot,
        date=slot.date,
        starts_at=starts,
        ends_at=ends,
        kind=BookingKind.FLEXIBLE,
        booked_by=user,
        billable_minutes=billable_minutes(starts, ends, fy_rules[child.household.municipality_id]),
    )
    if attended:
        picked_up = ends + dt.timedelta(minutes=5)
        policy = fy_rules[child.household.municipality_id]
        Attendance.objects.create(
            booking=booking,
            status=AttendanceStatus.PRESENT,
            checked_in_at=starts,
            checked_out_at=picked_up,
            recorded_by=staff,
            billable_minutes=visit_billable_minutes(starts, ends, starts, picked_up, policy),
        )
        DailyRecord.objects.create(
            booking=booking,
            meals="完食",
            nap="11:15-11:50",
            mood="ごきげん",
            toileting="おむつ交換2回",
            temperature="36.6",
            notes="ブロック遊びを楽しみました。",
            status=RecordStatus.PUBLISHED,
            written_by=writer,
            published_at=ends,
        )
    return booking


def _last_month_claim(facility, manager, staff, families, today: dt.date, fy_rules) -> None:
    """Last month's Tuesday and Thursday visits at ``facility`` and its claim for them,
    submitted: the ward's payments officer has a claim to review. Skipped when last month is
    outside the demo's fiscal year (no policy for it)."""
    last = today.replace(day=1) - dt.timedelta(days=1)
    first = last.replace(day=1)
    if fiscal_year_of(first) != FISCAL_YEAR:
        return
    for user, child in families:
        klass = class_of(child.birth_date, FISCAL_YEAR)
        for day in _weekdays(first, last, facility):
            if day.weekday() not in (1, 3) or day < child.certifications.get().valid_from:
                continue
            slot, _ = PlaceSlot.objects.get_or_create(
                facility=facility,
                date=day,
                starts_at=dt.time(9),
                age_class=klass,
                defaults={"ends_at": dt.time(17), "capacity": 3 if klass == 0 else 4},
            )
            _visit(child, user, slot, staff, fy_rules, attended=True, writer=manager)
    for claim in billing.generate_claims(manager, first.year, first.month):
        billing.submit_claim(
            manager, claim.pk, confirm_token=billing.submit_effects(manager, claim.pk).token
        )


def existing_logins() -> list[DemoLogin]:
    """The demo accounts as stored (the TOTP secrets read back from allauth)."""
    from tsuen.accounts.services import totp_secret

    users = User.objects.filter(email__endswith=f"@{DOMAIN}").order_by("pk")
    return [DemoLogin(u.email, Role(u.role).label, u.full_name, totp_secret(u)) for u in users]


def describe(logins: list[DemoLogin], address: str) -> str:
    lines = [
        "",
        f"tsuen is at {address}/",
        f"  families:           {address}/guardian/",
        f"  facilities:         {address}/facility/",
        f"  municipal staff:    {address}/municipality/",
        f"  national operator:  {address}/national/",
        "",
        f"Demo logins (password for all: {DEMO_PASSWORD}):",
    ]
    for login in logins:
        lines.append(f"  {login.email:<38} {login.role} ({login.where})")
    lines += [
        "",
        "Staff accounts need a second factor. Each has a TOTP secret (add it to an",
        "authenticator app), or print the current code with:",
        "  TSUEN_DEBUG=1 .venv/bin/python manage.py totp_code EMAIL",
    ]
    for login in logins:
        if login.totp_secret:
            lines.append(f"  {login.email:<38} {login.totp_secret}")
    return "\n".join(lines) + "\n"
