"""The family's pages for the waitlist, regular-use requests and hours. Thin: parse with a form,
call the service (tsuen.booking.waitlist, .regular, .hours), render."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tsuen.booking import hours, regular, waitlist
from tsuen.booking.models import Weekday
from tsuen.core.views import status_of

TIME_INPUT = forms.TimeInput(attrs={"type": "time", "step": 1800}, format="%H:%M")
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _messages_of(error: ValidationError) -> list[str]:
    return [str(m) for m in error.messages]


# --- Waitlist ----------------------------------------------------------------------------------


class JoinForm(forms.Form):
    child = forms.TypedChoiceField(label=gettext_lazy("Child"), coerce=int)
    start = forms.TimeField(label=gettext_lazy("From"), widget=TIME_INPUT)
    end = forms.TimeField(label=gettext_lazy("Until"), widget=TIME_INPUT)

    def __init__(self, *args, children, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["child"].choices = [(c.pk, c.full_name) for c in children]
        if len(children) == 1:
            self.fields["child"].initial = children[0].pk

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            raise ValidationError(_("The end must be after the start."))
        return data


@login_required
def waitlist_list(request):
    return render(
        request, "booking/waitlist_list.html", {"entries": waitlist.entries_for(request.user)}
    )


@login_required
def waitlist_join(request, place_slot_id: int):
    page = waitlist.join_page(request.user, place_slot_id)
    form = JoinForm(
        request.POST or None,
        children=page.children,
        initial={"start": page.slot.starts_at, "end": page.slot.ends_at},
    )
    if request.method == "POST" and form.is_valid():
        try:
            waitlist.join(
                request.user,
                form.cleaned_data["child"],
                page.slot.pk,
                form.cleaned_data["start"],
                form.cleaned_data["end"],
            )
        except ValidationError as error:
            for message in _messages_of(error):
                form.add_error(None, message)
        else:
            messages.success(
                request, _("You are on the waitlist. We will email you if a place becomes free.")
            )
            return redirect("booking:waitlist")
    context = {"page": page, "form": form}
    return render(request, "booking/waitlist_join.html", context, status=status_of(form))


@login_required
@require_POST
def waitlist_accept(request, entry_id: int):
    try:
        waitlist.accept(request.user, entry_id)
    except ValidationError as error:
        for message in _messages_of(error):
            messages.error(request, message)
    else:
        messages.success(request, _("The place is yours: your booking is confirmed."))
    return redirect("booking:waitlist")


@login_required
@require_POST
def waitlist_withdraw(request, entry_id: int):
    try:
        waitlist.withdraw(request.user, entry_id)
    except ValidationError as error:
        for message in _messages_of(error):
            messages.error(request, message)
    else:
        messages.success(request, _("You have left the waitlist."))
    return redirect("booking:waitlist")


# --- Regular use requests ----------------------------------------------------------------------


class RegularRequestForm(forms.Form):
    facility = forms.TypedChoiceField(label=gettext_lazy("Facility"), coerce=int)
    child = forms.TypedChoiceField(label=gettext_lazy("Child"), coerce=int)
    weekday = forms.TypedChoiceField(
        label=gettext_lazy("Day of the week"), coerce=int, choices=Weekday.choices
    )
    start = forms.TimeField(label=gettext_lazy("From"), widget=TIME_INPUT)
    end = forms.TimeField(label=gettext_lazy("Until"), widget=TIME_INPUT)
    period_from = forms.DateField(label=gettext_lazy("First day"), widget=DATE_INPUT)
    period_to = forms.DateField(label=gettext_lazy("Last day"), widget=DATE_INPUT)
    note = forms.CharField(
        label=gettext_lazy("Note to the facility (optional)"),
        required=False,
        max_length=regular.NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, page: regular.RequestPage, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].choices = [(f.pk, f.name) for f in page.facilities]
        self.fields["child"].choices = [(c.pk, c.full_name) for c in page.children]
        if len(page.children) == 1:
            self.fields["child"].initial = page.children[0].pk


@login_required
def regular_list(request):
    return render(
        request, "booking/regular_list.html", {"requests": regular.requests_for(request.user)}
    )


@login_required
def regular_request(request):
    page = regular.request_page(request.user)
    initial = {}
    if (wanted := request.GET.get("facility", "")).isdigit():
        initial["facility"] = int(wanted)
    form = RegularRequestForm(request.POST or None, page=page, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            regular.request(
                request.user,
                data["child"],
                data["facility"],
                data["weekday"],
                data["start"],
                data["end"],
                data["period_from"],
                data["period_to"],
                data["note"],
            )
        except ValidationError as error:
            for message in _messages_of(error):
                form.add_error(None, message)
        else:
            messages.success(
                request, _("Your request was sent to the facility. Its answer will show here.")
            )
            return redirect("booking:regular_list")
    context = {"page": page, "form": form}
    return render(request, "booking/regular_request.html", context, status=status_of(form))


@login_required
@require_POST
def regular_withdraw(request, request_id: int):
    try:
        regular.withdraw(request.user, request_id)
    except ValidationError as error:
        for message in _messages_of(error):
            messages.error(request, message)
    else:
        messages.success(request, _("Your request was withdrawn."))
    return redirect("booking:regular_list")


# --- Hours -------------------------------------------------------------------------------------


@login_required
def hours_page(request):
    return render(request, "booking/hours.html", {"summaries": hours.summaries_for(request.user)})
