"""QR check-in (issue 13 item 4): the facility tablet's code and the guardian's phone pages.
Thin: call tsuen.attendance.services_qr, render (docs/qr-check-in.md)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from tsuen.attendance import services_qr
from tsuen.attendance.forms_staff import DayForm
from tsuen.core import ratelimit


@login_required
@never_cache
def tablet(request):
    """The facility's tablet: the code of this minute, the facility's name and a countdown.
    Without JavaScript a meta refresh reloads the page when the code changes; with it,
    attendance/qr_tablet.js swaps the code in place."""
    code = services_qr.tablet_code(request.user)
    return render(request, "attendance/qr/tablet.html", {"code": code})


@login_required
@never_cache
@ratelimit.limited("qr_check_in", when=ratelimit.posted())
def scan(request, facility_id: int, code: str):
    """What the phone opens from the code: the children's visits today at the facility, each
    with its confirm button (a POST with CSRF); the POST checks in or out, then the family's
    visits page says so."""
    if request.method == "POST":
        booking_id = _parse_id(request.POST.get("booking"))
        action = request.POST.get("action", "")
        try:
            if booking_id is None:
                raise ValidationError(_("Choose what to confirm."), code="action")
            attendance = services_qr.self_check(request.user, facility_id, code, booking_id, action)
        except ValidationError as error:
            return _refused(request, error)
        at = timezone.localtime(
            attendance.checked_out_at if action == "check_out" else attendance.checked_in_at
        )
        name = attendance.booking.child.given_name
        done = (
            _("%(child)s is checked out at %(time)s. Thank you!")
            if action == "check_out"
            else _("%(child)s is checked in at %(time)s. Have a good day!")
        )
        messages.success(request, done % {"child": name, "time": at.strftime("%H:%M")})
        # To the family's visits (the code itself stops being valid within minutes).
        return redirect("attendance:visits")
    try:
        page = services_qr.scan_page(request.user, facility_id, code)
    except ValidationError as error:
        return _refused(request, error)
    return render(request, "attendance/qr/scan.html", {"page": page})


def _parse_id(value) -> int | None:
    value = value or ""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


def _refused(request, error: ValidationError):
    context = {"errors": [str(m) for m in error.messages], "code": getattr(error, "code", "")}
    return render(request, "attendance/qr/refused.html", context, status=400)


@login_required
@never_cache
def day_version(request):
    """The fingerprint of the day screen's visits (``?date=``, today by default), polled by
    attendance/day_poll.js: the screen reloads when it changes."""
    form = DayForm(request.GET or None)
    chosen = form.cleaned_data.get("date") if form.is_valid() else None
    return JsonResponse({"version": services_qr.day_version(request.user, chosen)})
