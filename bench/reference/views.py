"""One booking, the essential work only, on tsuen's own tables (raw SQL, no tsuen code).

Per request: the session (read from tsuen's session store, Redis), the CSRF check (middleware), the
user's row, that the child is the user's (its household's guardian), then in one transaction:
lock the slot row, lock the child row (a child's hours are counted across facilities), count the
slot's confirmed bookings, look for an overlapping booking of the child, sum the child's minutes
this month against the cap, insert, commit. Answers 302 when booked, 400 when refused (full,
overlap, cap), 403/404 for a stranger.

What it leaves out on purpose, and tsuen does: the policy and calendar lookups, certification,
interview and age checks, the audit trail, notices and emails, rate limits, translations and
pages. The benchmark's ratio is tsuen's price for those over this floor.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection, transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

BOOKING_COLUMNS = (
    "child_id, facility_id, place_slot_id, date, starts_at, ends_at, kind, status, "
    "billable_minutes, counts_toward_caps, booked_by_id, created_at"
)

LOCKING_SQL = (
    "SELECT capacity, date, facility_id FROM facilities_placeslot WHERE id = %s FOR UPDATE",
    "SELECT id FROM families_child WHERE id = %s FOR UPDATE",
)
#: The control run's (settings.LOCKS off): the same reads without the row locks.
UNLOCKED_SQL = (
    "SELECT capacity, date, facility_id FROM facilities_placeslot WHERE id = %s",
    "SELECT id FROM families_child WHERE id = %s",
)


def _refuse(reason: str) -> HttpResponse:
    return HttpResponse(reason, status=400, content_type="text/plain")


def _month(day: dt.date) -> tuple[dt.date, dt.date]:
    first = day.replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return first, following


@require_POST
def book(request):
    user_id = request.session.get("_auth_user_id")
    if not user_id:
        return HttpResponse(status=403)
    try:
        slot_id = int(request.POST["slot"])
        child_id = int(request.POST["children"])
        start = dt.time.fromisoformat(request.POST["start"])
        end = dt.time.fromisoformat(request.POST["end"])
    except (KeyError, ValueError):
        return _refuse("bad form")
    with connection.cursor() as cursor:
        cursor.execute("SELECT is_active FROM accounts_user WHERE id = %s", [user_id])
        row = cursor.fetchone()
        if row is None or not row[0]:
            return HttpResponse(status=403)
        cursor.execute(
            "SELECT 1 FROM families_child c JOIN families_guardian g"
            " ON g.household_id = c.household_id WHERE c.id = %s AND g.user_id = %s",
            [child_id, user_id],
        )
        if cursor.fetchone() is None:
            raise Http404
    tz = timezone.get_default_timezone()
    slot_sql, child_sql = LOCKING_SQL if settings.LOCKS else UNLOCKED_SQL
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(slot_sql, [slot_id])
        row = cursor.fetchone()
        if row is None:
            raise Http404
        capacity, day, facility_id = row
        cursor.execute(child_sql, [child_id])
        cursor.execute(
            "SELECT count(*) FROM booking_booking WHERE place_slot_id = %s"
            " AND status = 'confirmed'",
            [slot_id],
        )
        if cursor.fetchone()[0] >= capacity:
            return _refuse("full")
        starts_at = dt.datetime.combine(day, start, tzinfo=tz)
        ends_at = dt.datetime.combine(day, end, tzinfo=tz)
        minutes = int((ends_at - starts_at).total_seconds() // 60)
        if minutes <= 0:
            return _refuse("bad times")
        cursor.execute(
            "SELECT 1 FROM booking_booking WHERE child_id = %s AND status = 'confirmed'"
            " AND starts_at < %s AND ends_at > %s LIMIT 1",
            [child_id, ends_at, starts_at],
        )
        if cursor.fetchone() is not None:
            return _refuse("overlap")
        first, following = _month(day)
        cursor.execute(
            "SELECT coalesce(sum(billable_minutes), 0) FROM booking_booking"
            " WHERE child_id = %s AND date >= %s AND date < %s"
            " AND status IN ('confirmed', 'late_cancelled') AND counts_toward_caps",
            [child_id, first, following],
        )
        if cursor.fetchone()[0] + minutes > settings.MONTH_CAP_MINUTES:
            return _refuse("cap")
        cursor.execute(
            f"INSERT INTO booking_booking ({BOOKING_COLUMNS})"  # noqa: S608  (constant columns)
            " VALUES (%s, %s, %s, %s, %s, %s, 'flexible', 'confirmed', %s, true, %s, now())",
            [child_id, facility_id, slot_id, day, starts_at, ends_at, minutes, user_id],
        )
    return HttpResponseRedirect("/booked/")


@csrf_exempt
def ping(request):
    """Nothing at all (no session, no database): what wrk, gunicorn and Django's request
    handling alone reach on this machine, the ceiling above both booking views."""
    return HttpResponseRedirect("/booked/")
