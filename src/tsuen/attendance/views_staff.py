"""The facility's day in the room (tablet) and daily records. Thin: parse with a form, call a
service (tsuen.attendance.services_staff), render."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tsuen.attendance import services, services_qr, services_staff
from tsuen.attendance.forms_staff import (
    CancelDayForm,
    DayForm,
    StaffDailyRecordForm,
    TapForm,
    TimesForm,
    slot_label,
)
from tsuen.core import clock, confirm
from tsuen.core.views import handle_post, status_of


def _messages_of(error: ValidationError) -> list[str]:
    return [str(m) for m in error.messages]


def _day_url(day) -> str:
    url = reverse("attendance:staff_day")
    return url if day == clock.today() else f"{url}?date={day.isoformat()}"


@login_required
def day(request):
    form = DayForm(request.GET or None)
    chosen = form.cleaned_data.get("date") if form.is_valid() else None
    page = services_staff.day_for(request.user, chosen)
    slots = [(s, slot_label(s.slot)) for s in page.slots]
    cancel_form = CancelDayForm(
        initial={"date": page.day},
        slots=services_staff.slots_of_day(request.user, page.day),
    )
    context = {"page": page, "slots": slots, "form": form, "cancel_form": cancel_form}
    # The screen follows QR check-ins (issue 13): attendance/day_poll.js reloads it on a change.
    context["version"] = services_qr.fingerprint_of_page(page)
    return render(request, "attendance/staff/day.html", context)


@login_required
@require_POST
def tap(request, booking_id: int):
    form = TapForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose what to record."))
        return redirect("attendance:staff_day")
    action = form.cleaned_data["action"]
    reason = form.cleaned_data["reason"]
    do = {
        "check_in": services_staff.check_in,
        "check_out": services_staff.check_out,
        "no_show": services_staff.mark_no_show,
        "undo": services_staff.undo,
    }[action]
    try:
        if action in ("check_in", "check_out"):
            attendance = do(request.user, booking_id, reason=reason)
        else:
            attendance = do(request.user, booking_id)
    except services_staff.ReasonNeeded as needed:
        # Unusual times: say what is unusual and ask for the reason before recording (and
        # say that it is missing when the reason page was sent without one).
        if "reason" in request.POST:
            form.add_error("reason", _("Give a reason to record these times."))
        page = services_staff.times_page(request.user, booking_id)
        context = {"page": page, "warnings": needed.warnings, "action": action, "form": form}
        return render(request, "attendance/staff/tap_reason.html", context, status=400)
    except ValidationError as error:
        for text in _messages_of(error):
            messages.error(request, text)
        return redirect("attendance:staff_day")
    done = {
        "check_in": _("Checked in at %(time)s."),
        "check_out": _("Checked out at %(time)s."),
        "no_show": _("Marked as not come."),
        "undo": _("Undone."),
    }[action]
    time = clock.now().astimezone().strftime("%H:%M")
    messages.success(request, done % {"time": time} if "%(time)s" in done else done)
    day = attendance.booking.date if attendance is not None else clock.today()
    return redirect(f"{_day_url(day)}#visit-{booking_id}")


@login_required
def cancel_day(request):
    """Two steps: the form posts here without a ``confirm`` token and gets the confirmation
    page (what will be cancelled); that page posts back with the token and the day is
    cancelled (refused if anything changed in between)."""
    if request.method != "POST":
        return redirect("attendance:staff_day")
    slots_day = clock.today()
    form = CancelDayForm(request.POST, slots=[])
    if form.data.get("date"):
        probe = DayForm({"date": form.data.get("date")})
        if probe.is_valid() and probe.cleaned_data["date"]:
            slots_day = probe.cleaned_data["date"]
    form = CancelDayForm(request.POST, slots=services_staff.slots_of_day(request.user, slots_day))
    if form.is_valid():
        data = form.cleaned_data
        token = request.POST.get(confirm.FIELD)
        try:
            effects = services_staff.cancel_day_effects(
                request.user, data["date"], data["place_slot"], data["reason"]
            )
            if not token:
                context = {
                    "form": form,
                    "effects": effects,
                    "reason": data["reason"],
                    "back": _day_url(data["date"]),
                }
                return render(request, "attendance/staff/cancel_day_confirm.html", context)
            count = services_staff.cancel_day(
                request.user,
                data["date"],
                data["reason"],
                data["place_slot"],
                confirm_token=token,
            )
        except ValidationError as error:
            form.add_error(None, error)
            if token and getattr(error, "code", None) == "changed":
                context = {
                    "form": form,
                    "effects": effects,
                    "reason": data["reason"],
                    "back": _day_url(data["date"]),
                }
                return render(
                    request, "attendance/staff/cancel_day_confirm.html", context, status=400
                )
        else:
            messages.success(
                request,
                _("%(count)d bookings cancelled; the families have been told.") % {"count": count},
            )
            return redirect(_day_url(data["date"]))
    return render(request, "attendance/staff/cancel_day.html", {"form": form}, status=400)


@login_required
def times(request, booking_id: int):
    """Correct a visit's real times afterwards, with a reason (until the claim is submitted)."""
    page = services_staff.times_page(request.user, booking_id)
    initial = {}
    if page.attendance is not None and page.attendance.checked_out_at is not None:
        initial = {
            "checked_in": timezone.localtime(page.attendance.checked_in_at).time(),
            "checked_out": timezone.localtime(page.attendance.checked_out_at).time(),
        }
    form = TimesForm(request.POST if request.method == "POST" else None, initial=initial)
    day = page.booking.date

    def correct(data):
        tz = timezone.get_current_timezone()
        return services_staff.correct_times(
            request.user,
            booking_id,
            dt.datetime.combine(day, data["checked_in"], tzinfo=tz),
            dt.datetime.combine(day, data["checked_out"], tzinfo=tz),
            data["reason"],
        )

    done = handle_post(
        request,
        form,
        correct,
        done=lambda a: (
            _("The times have been corrected: %(minutes)d billable minutes.")
            % {"minutes": a.billable_minutes}
        ),
        then=lambda a: f"{_day_url(day)}#visit-{booking_id}",
    )
    if done:
        return done
    context = {"page": page, "form": form}
    return render(request, "attendance/staff/times.html", context, status=status_of(form))


@login_required
def record(request, booking_id: int):
    page = services_staff.record_page(request.user, booking_id)
    form = StaffDailyRecordForm(request.POST or None, instance=page.daily_record)
    if request.method == "POST" and form.is_valid():
        publish = request.POST.get("publish") == "1"
        try:
            services.write_daily_record(
                request.user,
                booking_id,
                publish=publish,
                **{name: form.cleaned_data[name] for name in services.RECORD_FIELDS},
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for name, errors in error.error_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                form.add_error(None, error)
        else:
            messages.success(
                request,
                _("The daily record has been published to the family.")
                if publish
                else _("The daily record has been saved as a draft."),
            )
            return redirect(f"{_day_url(page.booking.date)}#visit-{booking_id}")
    context = {"page": page, "form": form}
    return render(request, "attendance/staff/record.html", context, status=status_of(form))
