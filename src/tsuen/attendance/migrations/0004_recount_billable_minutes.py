"""Recount the stored billable minutes of checked-out visits by the rule of issue 10.

Before, a visit was billed from min(booked start, check-in) to max(booked end, check-out): a
10:00-12:00 booking tapped in and out at 14:41 stored 300 minutes. Now the booked minutes count
and only real time outside the booking is added (``rules.visit_billable_minutes``). The rule is
written out here (a migration must not change with later code); the minimum and step are the
child's ward's policy in force that day, else the national defaults (60 and 30).
"""

from django.db import migrations


def _minute(value):
    return value.replace(second=0, microsecond=0)


def _minutes(start, end):
    return int((_minute(end) - _minute(start)).total_seconds() // 60)


def _billed(booking, checked_in, checked_out, minimum, step):
    booked = _minutes(booking.starts_at, booking.ends_at)
    overlap_start = max(checked_in, booking.starts_at)
    overlap_end = min(checked_out, booking.ends_at)
    stay = _minutes(checked_in, checked_out)
    extra = stay if overlap_end <= overlap_start else stay - _minutes(overlap_start, overlap_end)
    total = booked + extra
    return max(minimum, -(-total // step) * step)


def recount(apps, schema_editor):
    Attendance = apps.get_model("attendance", "Attendance")
    MunicipalPolicy = apps.get_model("municipalities", "MunicipalPolicy")
    rows = {}
    for row in MunicipalPolicy.objects.order_by("effective_from"):
        rows.setdefault(row.municipality_id, []).append(row)
    changed = []
    visits = Attendance.objects.filter(
        status="present", checked_in_at__isnull=False, checked_out_at__isnull=False
    ).select_related("booking__child__household")
    for attendance in visits.iterator():
        booking = attendance.booking
        day = booking.date
        fiscal_year = day.year if day.month >= 4 else day.year - 1
        minimum, step = 60, 30
        for row in rows.get(booking.child.household.municipality_id, ()):
            if row.fiscal_year == fiscal_year and row.effective_from <= day:
                minimum, step = row.billing_minimum_minutes, row.billing_step_minutes
        if step <= 0:
            continue
        billed = _billed(
            booking, attendance.checked_in_at, attendance.checked_out_at, minimum, step
        )
        if billed != attendance.billable_minutes:
            attendance.billable_minutes = billed
            changed.append(attendance)
    Attendance.objects.bulk_update(changed, ["billable_minutes"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("attendance", "0003_attendance_times_reason"),
        ("municipalities", "0002_staff_networks"),
    ]

    operations = [migrations.RunPython(recount, migrations.RunPython.noop)]
