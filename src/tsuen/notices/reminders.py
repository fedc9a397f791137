"""The reminder before the cancellation deadline: "tomorrow's visit can still be cancelled free
of charge until 17:00 today".

``send_reminders()`` finds the confirmed bookings whose cancellation deadline falls within the
next ``hours`` hours and that have not been reminded, and sends each family one notice. The
deadline is the one cancelling uses (``booking.services.cancellation_deadlines``: the rule
``rules.cancellation_deadline`` with the policy in force on the booking's date of the
facility's municipality, else the child's, else the national default). A ``ReminderSent`` row,
unique per booking and kind, is written in the same transaction as the notice is queued, so
reruns, overlapping runs and several workers send each reminder once. Run it every 15 minutes
or so (``manage.py send_reminders``, or ``send_reminders_task`` on the task queue); a missed
run only means that reminders due meanwhile go out late, never twice.
"""

from __future__ import annotations

import datetime as dt
import math

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from tsuen import rules
from tsuen.accounts.models import User
from tsuen.audit import record
from tsuen.booking.models import Booking, BookingStatus
from tsuen.booking.services import cancellation_deadlines
from tsuen.core import clock, tenancy
from tsuen.families.services import family_accounts
from tsuen.municipalities.models import MunicipalPolicy
from tsuen.notices.kinds import Notice
from tsuen.notices.models import ReminderSent
from tsuen.notices.services import notify

KIND = Notice.CANCELLATION_DEADLINE_REMINDER
DEFAULT_HOURS = 24


def due_reminders(
    now: dt.datetime, hours: int = DEFAULT_HOURS
) -> list[tuple[Booking, dt.datetime]]:
    """Confirmed, not yet reminded bookings whose deadline is after ``now`` and at most
    ``hours`` hours later, with their deadlines. Call inside a tenant scope."""
    until = now + dt.timedelta(hours=hours)
    today = timezone.localdate(now)
    days_before = max(
        MunicipalPolicy.objects.aggregate(days=Max("cancel_deadline_days_before"))["days"] or 0,
        rules.national_default_policy(rules.fiscal_year_of(today)).cancel_deadline_days_before,
    )
    last_date = today + dt.timedelta(days=days_before + math.ceil(hours / 24) + 1)
    candidates = (
        Booking.objects.filter(status=BookingStatus.CONFIRMED, date__gte=today, date__lte=last_date)
        .exclude(reminders_sent__kind=KIND)
        .select_related("child__household", "facility", "place_slot")
        .order_by("starts_at", "pk")
    )
    candidates = list(candidates)
    deadlines = cancellation_deadlines(candidates)
    return [(b, deadlines[b.pk]) for b in candidates if now < deadlines[b.pk] <= until]


def recipients(booking: Booking) -> list[User]:
    """The household's guardians with an account, and the proxy user who booked (while the
    proxy grant lives)."""
    return family_accounts(booking.child.household_id, booked_by=booking.booked_by)


def _bookings_path() -> str:
    return reverse("booking:list")


def send_reminders(*, now: dt.datetime | None = None, hours: int = DEFAULT_HOURS) -> int:
    """Send the due reminders; returns how many bookings were reminded. Idempotent."""
    now = now or clock.now()
    sent = 0
    with tenancy.cross_tenant("reminder job"):
        for booking, deadline in due_reminders(now, hours):
            if _remind(booking, deadline, now):
                sent += 1
    return sent


def _remind(booking: Booking, deadline: dt.datetime, now: dt.datetime) -> bool:
    local = timezone.localtime
    context = dict(
        child_name=booking.child.given_name,
        facility_name=booking.facility.name,
        date=booking.date,
        start=local(booking.starts_at).strftime("%H:%M"),
        end=local(booking.ends_at).strftime("%H:%M"),
        deadline=deadline,
        path=_bookings_path(),
    )
    try:
        with transaction.atomic():
            # The booking may have been cancelled since it was selected: lock and look again.
            if not (
                Booking.objects.select_for_update()
                .filter(pk=booking.pk, status=BookingStatus.CONFIRMED)
                .exists()
            ):
                return False
            marker = ReminderSent.objects.create(booking=booking, kind=KIND, sent_at=now)
            for account in recipients(booking):
                notify(KIND, account, **context)
            record("create", marker, subjects=[booking.child])
    except IntegrityError:  # another run reminded this booking first
        return False
    return True
