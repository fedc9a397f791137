"""The family's visit pages. Thin: parse with a form, call a service, render."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from tsuen.attendance import services
from tsuen.attendance.forms import MorningNoteForm
from tsuen.consent.services import has_consent
from tsuen.core.views import status_of


@login_required
def visits(request):
    return render(request, "attendance/visits.html", {"visits": services.visits_for(request.user)})


@login_required
def morning_note(request, booking_id: int):
    page = services.note_page(request.user, booking_id)
    form = MorningNoteForm(
        request.POST or None,
        pickup_persons=page.pickup_persons,
        initial=MorningNoteForm.initial_for(page.note, page.pickup_persons),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.write_morning_note(request.user, booking_id, **form.service_arguments())
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, field_errors in error.error_dict.items():
                    form.add_error(field if field in form.fields else None, field_errors)
            else:
                form.add_error(None, error)
        else:
            messages.success(request, _("Your note has been sent to the facility."))
            return redirect("attendance:visits")
    context = {"page": page, "form": form}
    household_id = page.booking.child.household_id
    if not has_consent(household_id):  # the day's health needs the purpose notice agreed
        notice = reverse("consent:notice", args=[household_id])
        context["consent_url"] = f"{notice}?next={quote(request.path)}"
    return render(request, "attendance/morning_note.html", context, status=status_of(form))


@login_required
def daily_record(request, booking_id: int):
    return render(
        request,
        "attendance/daily_record.html",
        {"record": services.daily_record_for(request.user, booking_id)},
    )
