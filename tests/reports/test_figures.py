"""The dashboard's visit figures (tsuen.reports.models, kept by database triggers and folded by
tsuen.reports.figures) against an independent computation: every booking of the database read
row by row and counted in Python, as the dashboard defines each figure.

The world: the hand-built wards of conftest.py plus the edges: visits on both sides of month
boundaries, no-shows, late cancellations that count towards the caps and one that does not, a
cancellation by the facility, a corrected attendance, a child of ward B at ward A's facility and
one of ward A at ward B's. The figures must be equal before any fold (all in the changes), after
a fold, after a fold in small batches, and after more writes of every kind on top of a fold
(a summary and changes together)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection

from tests import factories as f
from tests.reports.conftest import TODAY, staff, visit
from tsuen import rules
from tsuen.accounts.models import Role
from tsuen.attendance.models import Attendance, AttendanceStatus
from tsuen.booking.models import Booking, BookingStatus
from tsuen.certification.models import Certification, CertificationStatus
from tsuen.core import clock, tenancy
from tsuen.facilities.models import Facility
from tsuen.families.models import Child, Household
from tsuen.reports import figures, services
from tsuen.reports.models import (
    ChildDay,
    ChildLast,
    ChildMonth,
    FacilityMonth,
    VisitChange,
    WardDay,
)

pytestmark = pytest.mark.django_db

MONTHS = [dt.date(2026, m, 1) for m in (3, 4, 5, 6)]


# --- the independent computation -------------------------------------------------------------


def _visits():
    """Every booking with its attendance and its child's ward, as plain tuples."""
    rows = []
    for b in Booking.unscoped.select_related("child__household").order_by("pk"):
        attendance = Attendance.unscoped.filter(booking_id=b.pk).first()
        attended = attendance is not None and attendance.status == AttendanceStatus.PRESENT
        minutes = (
            attendance.billable_minutes
            if attendance is not None and attendance.billable_minutes is not None
            else b.billable_minutes
        )
        counts = b.counts_toward_caps and b.status in (
            BookingStatus.CONFIRMED,
            BookingStatus.LATE_CANCELLED,
        )
        rows.append(
            dict(
                facility=b.facility_id,
                child=b.child_id,
                ward=b.child.household.municipality_id,
                date=b.date,
                attended=attended,
                minutes=minutes,
                booked=b.billable_minutes if b.status == BookingStatus.CONFIRMED else 0,
                counting=minutes if counts else 0,
            )
        )
    return rows


def expected(ward_id: int, today: dt.date, month: dt.date, allowed_children=None):
    visits = _visits()
    facilities = set(Facility.unscoped.filter(municipality_id=ward_id).values_list("pk", flat=True))
    first, last = rules.month_bounds(month)
    use = {
        fid: (
            sum(
                1
                for v in visits
                if v["facility"] == fid and first <= v["date"] <= last and v["attended"]
            ),
            sum(v["booked"] for v in visits if v["facility"] == fid and first <= v["date"] <= last),
            sum(
                v["minutes"]
                for v in visits
                if v["facility"] == fid and first <= v["date"] <= last and v["attended"]
            ),
        )
        for fid in facilities
    }
    months = services._months_back(today, services.TREND_MONTHS)
    trend = {}
    for m in months:
        m_first, m_last = rules.month_bounds(m)
        mine = [
            v
            for v in visits
            if v["ward"] == ward_id
            and v["attended"]
            and max(m_first, months[0]) <= v["date"] <= min(m_last, today)
        ]
        trend[m] = (len(mine), sum(v["minutes"] for v in mine))
    certified = set(
        Certification.unscoped.filter(
            municipality_id=ward_id, status=CertificationStatus.ACTIVE
        ).values_list("child_id", flat=True)
    )
    m_first, m_last = rules.month_bounds(today)
    usage = {}
    for v in visits:
        if v["child"] in certified and m_first <= v["date"] <= m_last and v["counting"]:
            usage[v["child"]] = usage.get(v["child"], 0) + v["counting"]
    cutoff = today - dt.timedelta(days=services.OUTREACH_DAYS)
    last_visit = {}
    for v in visits:
        if v["attended"]:
            last_visit[v["child"]] = max(last_visit.get(v["child"], v["date"]), v["date"])
    listed = certified if allowed_children is None else certified & allowed_children
    outreach = {
        child: last_visit.get(child)
        for child in listed
        if child not in last_visit or last_visit[child] < cutoff
    }
    return {"use": use, "trend": trend, "usage": usage, "outreach": outreach}


def actual(ward_id: int, today: dt.date, month: dt.date, user):
    with tenancy.tenant(ward_id):
        use = {
            row.facility.pk: (row.visits, row.booked_minutes, row.attended_minutes)
            for row in services.facility_use(ward_id, month)
        }
        trend = {m.month: (m.visits, m.minutes) for m in services.trend(ward_id, today)}
        usage = {
            child: used[0]
            for child, used in services.cap_usage(
                ward_id, [rules.period_bounds(rules.Period.MONTH, today)]
            ).items()
            if used[0]
        }
        outreach = {o.child.pk: o.last_visit for o in services.outreach(user, ward_id, today)}
    return {"use": use, "trend": trend, "usage": usage, "outreach": outreach}


def assert_exact(world, users):
    today = clock.today()
    for ward in (world["ward"], world["other_ward"]):
        user = users[ward.pk]
        with tenancy.cross_tenant("test: the children the user may list"):
            allowed = set(
                Child.objects.filter(household__municipality=ward).values_list("pk", flat=True)
            )
        for month in MONTHS:
            want = expected(ward.pk, today, month, allowed)
            got = actual(ward.pk, today, month, user)
            assert got == want, (ward.name, month)


# --- the world -----------------------------------------------------------------------------------


@pytest.fixture
def edges(world):
    a = world["ward"]
    f1 = world["f1"]
    fb = Facility.objects.get(name="乙区保育園")
    by = world["admin"]
    edge = f.child(f.household(a), given_name="境界")
    f.certification(edge, by)
    slots = {
        d: f.place_slot(f1, d)
        for d in (
            dt.date(2026, 4, 30),
            dt.date(2026, 5, 1),
            dt.date(2026, 5, 12),
            dt.date(2026, 5, 31),
            dt.date(2026, 6, 1),
        )
    }
    visit(edge, slots[dt.date(2026, 4, 30)], by, 120, attended=True)
    visit(edge, slots[dt.date(2026, 5, 1)], by, 60, attended=True)
    future = f.booking(edge, slots[dt.date(2026, 5, 31)], by)  # booked, counts for the cap
    f.booking(edge, slots[dt.date(2026, 6, 1)], by)
    no_show = f.booking(edge, slots[dt.date(2026, 5, 12)], by, start=dt.time(9), end=dt.time(10))
    Attendance.objects.create(booking=no_show, status=AttendanceStatus.NO_SHOW, recorded_by=by)
    late = f.booking(
        world["under"], slots[dt.date(2026, 5, 12)], by, status=BookingStatus.LATE_CANCELLED
    )
    f.booking(
        world["never"],
        slots[dt.date(2026, 5, 12)],
        by,
        status=BookingStatus.LATE_CANCELLED,
        counts_toward_caps=False,
    )
    f.booking(
        world["recent"], slots[dt.date(2026, 5, 12)], by, status=BookingStatus.CANCELLED_BY_FACILITY
    )
    corrected = visit(world["gone"], f.place_slot(fb, dt.date(2026, 3, 18)), by, 200, attended=True)
    Attendance.objects.filter(booking=corrected).update(billable_minutes=150)
    # ward B's child at ward A's facility, attended in May
    visit(world["other"], slots[dt.date(2026, 5, 1)], by, 90, attended=True)
    return {"edge": edge, "future": future, "late": late, "corrected": corrected, "fb": fb}


@pytest.fixture
def users(world):
    return {
        world["ward"].pk: world["admin"],
        world["other_ward"].pk: staff(Role.MUNICIPAL_ADMIN, world["other_ward"]),
    }


def test_the_independent_computation_sees_the_edges(world, edges, users):
    want = expected(world["ward"].pk, clock.today(), dt.date(2026, 5, 1))
    f1 = world["f1"]
    assert want["use"][f1.pk][0] == 4  # near, under, edge on 1 May, the other ward's child
    assert want["trend"][dt.date(2026, 4, 1)] == (1, 120)  # edge on 30 April
    assert want["trend"][dt.date(2026, 3, 1)] == (3, 120 + 120 + 150)  # the corrected minutes
    assert want["usage"][edges["edge"].pk] == 60 + 120 + 60  # 1 May, the 31 May booking, no-show
    assert want["usage"][world["under"].pk] == 474 + 120  # the late cancellation counts


def test_figures_are_exact_before_and_after_folding(world, edges, users):
    assert VisitChange.unscoped.exists() and not FacilityMonth.unscoped.exists()
    assert_exact(world, users)  # everything still in the changes
    folded = figures.fold(batch_size=3)  # many small batches
    assert folded > 0 and not VisitChange.unscoped.exists()
    assert FacilityMonth.unscoped.exists() and WardDay.unscoped.exists()
    assert ChildMonth.unscoped.exists() and ChildDay.unscoped.exists()
    assert ChildLast.unscoped.filter(last_visit__isnull=False).exists()
    assert_exact(world, users)
    assert figures.fold() == 0


def test_figures_stay_exact_through_every_kind_of_write_on_top_of_a_fold(world, edges, users):
    figures.fold()
    by = world["admin"]
    # attended -> no-show, and an attendance undone
    Attendance.objects.filter(
        booking__child=world["near"], booking__date=dt.date(2026, 5, 7)
    ).update(status=AttendanceStatus.NO_SHOW, checked_in_at=None, checked_out_at=None)
    Attendance.objects.filter(booking__child=world["recent"]).delete()
    assert_exact(world, users)
    # a booking moved across a month boundary, one cancelled, one deleted, minutes changed
    Booking.objects.filter(pk=edges["future"].pk).update(date=dt.date(2026, 6, 2))
    late = Booking.objects.get(pk=edges["late"].pk)
    late.status = BookingStatus.CANCELLED
    late.save()
    Booking.objects.filter(child=edges["edge"], date=dt.date(2026, 6, 1)).delete()
    Booking.objects.filter(child=world["under"], date=dt.date(2026, 5, 8)).update(
        billable_minutes=400
    )
    Attendance.objects.filter(booking=edges["corrected"]).update(billable_minutes=None)
    # a late check-in on a booking that had none
    Attendance.objects.create(
        booking=edges["future"],
        status=AttendanceStatus.PRESENT,
        recorded_by=by,
        checked_in_at=edges["future"].starts_at,
        checked_out_at=edges["future"].ends_at,
        billable_minutes=30,
    )
    assert_exact(world, users)
    figures.fold(batch_size=2)
    assert_exact(world, users)
    # a child moves to a household of ward B; a household of ward A becomes ward B's
    Child.objects.filter(pk=world["gone"].pk).update(
        household=Household.objects.filter(municipality=world["other_ward"]).first()
    )
    Household.objects.filter(pk=edges["edge"].household_id).update(municipality=world["other_ward"])
    assert_exact(world, users)
    figures.fold()
    assert_exact(world, users)


def test_a_booking_and_its_attendance_deleted_in_either_order(world, edges, users):
    figures.fold()
    booking = Booking.objects.get(child=edges["edge"], date=dt.date(2026, 5, 1))
    with connection.cursor() as cursor:  # the booking first: its figures go with it
        cursor.execute("DELETE FROM booking_booking WHERE id = %s", [booking.pk])
        cursor.execute("DELETE FROM attendance_attendance WHERE booking_id = %s", [booking.pk])
    other = Booking.objects.get(child=edges["edge"], date=dt.date(2026, 4, 30))
    Attendance.objects.filter(booking=other).delete()  # the usual order
    other.delete()
    assert_exact(world, users)
    figures.fold()
    assert_exact(world, users)


def test_the_dashboard_page_shows_the_same_figures_folded_or_not(client, world, edges):
    from tests.reports.conftest import logged_in

    logged_in(client, world["admin"])
    before = client.get("/municipality/dashboard/", {"month": "2026-05"}).content.decode()
    figures.fold()
    after = client.get("/municipality/dashboard/", {"month": "2026-05"}).content.decode()
    strip = lambda page: page.split("<main", 1)[1].split("</main>", 1)[0]  # noqa: E731
    assert strip(before) == strip(after)


# --- concurrency (PostgreSQL) ------------------------------------------------------------------


def _threads(count, work):
    start = threading.Barrier(count)
    errors = []

    def run(i):
        try:
            start.wait(timeout=10)
            with tenancy.cross_tenant("test: threads"):
                work(i)
        except BaseException as error:  # reported by the test, never swallowed
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return errors


def _ward_with_visits(children=12):
    ward = f.municipality(name="並行区")
    by = staff(Role.MUNICIPAL_ADMIN, ward)
    facility = f.facility(ward)
    kids = [f.child(f.household(ward), given_name=f"並{i}") for i in range(children)]
    for kid in kids:
        f.certification(kid, by)
    slots = [f.place_slot(facility, dt.date(2026, 5, d), capacity=50) for d in range(1, 20)]
    bookings = [f.booking(kid, slot, by) for kid in kids for slot in slots]
    return ward, by, kids, bookings


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_and_two_folds_keep_the_figures_exact():
    with clock.frozen(TODAY), tenancy.cross_tenant("test: building"):
        ward, by, _, bookings = _ward_with_visits()
    writing = threading.Event()
    writing.set()

    def work(i):
        if i >= 4:  # two folds, folding while the writers write
            while writing.is_set():
                figures.fold(batch_size=7)
            return
        try:
            for n, booking in enumerate(bookings[i::4]):
                status = AttendanceStatus.PRESENT if n % 3 else AttendanceStatus.NO_SHOW
                Attendance.unscoped.create(
                    booking=booking,
                    status=status,
                    recorded_by=by,
                    checked_in_at=booking.starts_at if n % 3 else None,
                    billable_minutes=90 if n % 3 else None,
                )
                if n % 5 == 0:
                    Booking.unscoped.filter(pk=booking.pk).update(
                        status=BookingStatus.LATE_CANCELLED
                    )
                if n % 7 == 0:
                    Attendance.unscoped.filter(booking=booking).update(billable_minutes=45)
        finally:
            if i == 0:
                writing.clear()

    assert _threads(6, work) == []
    with clock.frozen(TODAY), tenancy.cross_tenant("test: checking"):
        world = {"ward": ward, "other_ward": ward}
        assert_exact(world, {ward.pk: by})
        figures.fold()
        assert_exact(world, {ward.pk: by})


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_read_during_a_fold_sees_the_same_figures():
    with clock.frozen(TODAY), tenancy.cross_tenant("test: building"):
        ward, by, _, bookings = _ward_with_visits(children=8)
        for n, booking in enumerate(bookings):
            Attendance.unscoped.create(
                booking=booking,
                status=AttendanceStatus.PRESENT,
                recorded_by=by,
                checked_in_at=booking.starts_at,
                billable_minutes=60 + n % 4,
            )
        want = actual(ward.pk, TODAY.date(), dt.date(2026, 5, 1), by)
    folding = threading.Event()
    folding.set()
    seen = []

    def work(i):
        with clock.frozen(TODAY):
            if i == 0:
                try:
                    while figures.fold(batch_size=5):  # one batch at a time, each committed
                        pass
                finally:
                    folding.clear()
                return
            while folding.is_set():
                seen.append(actual(ward.pk, TODAY.date(), dt.date(2026, 5, 1), by))

    assert _threads(2, work) == []
    assert seen and all(s == want for s in seen), len(seen)


def test_the_fold_command(world, edges):
    import io

    from django.core.management import call_command

    pending = VisitChange.unscoped.count()
    out = io.StringIO()
    call_command("fold_visit_figures", stdout=out)
    assert out.getvalue().strip() == f"folded {pending} visit changes"
    assert not VisitChange.unscoped.exists()
