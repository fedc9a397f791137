"""Forms of the facility's day screen. They parse input; the services enforce the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tsuen.attendance.models import DailyRecord


class DayForm(forms.Form):
    date = forms.DateField(
        label=_("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class TapForm(forms.Form):
    """One big button on a child's card."""

    ACTIONS = ("check_in", "check_out", "no_show", "undo")
    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS])
    #: Asked for only when the times are unusual (the service says which).
    reason = forms.CharField(
        label=_("Reason"), max_length=200, required=False, widget=forms.TextInput()
    )


class TimesForm(forms.Form):
    """A visit's real times, corrected afterwards (on the visit's day), with the reason."""

    checked_in = forms.TimeField(
        label=_("Checked in"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    checked_out = forms.TimeField(
        label=_("Checked out"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    reason = forms.CharField(
        label=_("Reason for the correction"),
        max_length=200,
        error_messages={"required": _("Give the reason for the correction.")},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class CancelDayForm(forms.Form):
    date = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    place_slot = forms.TypedChoiceField(
        label=_("Slot"), coerce=int, required=False, empty_value=None
    )
    reason = forms.CharField(
        label=_("Reason (sent to the families)"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, slots=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place_slot"].choices = [("", _("The whole day"))] + [
            (s.pk, slot_label(s)) for s in slots
        ]


def slot_label(slot) -> str:
    return _("%(start)s–%(end)s, age class %(age_class)s") % {
        "start": slot.starts_at.strftime("%H:%M"),
        "end": slot.ends_at.strftime("%H:%M"),
        "age_class": slot.age_class,
    }


class StaffDailyRecordForm(forms.ModelForm):
    class Meta:
        model = DailyRecord
        fields = ("meals", "nap", "mood", "toileting", "temperature", "notes")
        widgets = {
            "meals": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }
