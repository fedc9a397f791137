"""Input of the family's visit pages. The rules themselves are enforced in services.py."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from tsuen.attendance import services

OTHER = "other"


class MorningNoteForm(forms.Form):
    """登園時の連絡: how the child is, the morning temperature, and who picks up."""

    health = forms.CharField(
        label=_("How is the child today?"),
        help_text=_("For example: slept well, a little runny nose, ate breakfast."),
        max_length=services.HEALTH_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    temperature = forms.DecimalField(
        label=_("Temperature this morning (°C)"),
        help_text=_("One decimal, for example 36.5."),
        min_value=services.TEMPERATURE_MIN,
        max_value=services.TEMPERATURE_MAX,
        max_digits=3,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )
    pickup = forms.ChoiceField(label=_("Who picks the child up?"), widget=forms.RadioSelect)
    pickup_other = forms.CharField(
        label=_("Someone else: name and relation"),
        max_length=services.PICKUP_MAX_LENGTH,
        required=False,
    )

    def __init__(self, *args, pickup_persons: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(i), person) for i, person in enumerate(pickup_persons)]
        self.fields["pickup"].choices = [*choices, (OTHER, _("Someone else (write below)"))]
        self.pickup_persons = pickup_persons
        self.fields["temperature"].error_messages.update(
            {
                "min_value": _("Enter a temperature between 35.0 and 42.0 °C."),
                "max_value": _("Enter a temperature between 35.0 and 42.0 °C."),
                "max_decimal_places": _(
                    "Enter the temperature with one decimal, for example 36.5."
                ),
                "max_digits": _("Enter a temperature between 35.0 and 42.0 °C."),
                "invalid": _("Enter the temperature as a number, for example 36.5."),
            }
        )

    @classmethod
    def initial_for(cls, note, pickup_persons: list[str]) -> dict:
        if note is None:
            return {}
        initial = {"health": note.health, "temperature": note.temperature}
        if note.pickup_person in pickup_persons:
            initial["pickup"] = str(pickup_persons.index(note.pickup_person))
        else:
            initial |= {"pickup": OTHER, "pickup_other": note.pickup_person}
        return initial

    def clean(self):
        data = super().clean()
        choice = data.get("pickup")
        if choice == OTHER:
            if not data.get("pickup_other", "").strip():
                self.add_error("pickup_other", _("Write who picks the child up."))
            data["pickup_person"] = data.get("pickup_other", "")
        elif choice is not None:
            data["pickup_person"] = self.pickup_persons[int(choice)]
        return data

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        temperature: Decimal = data["temperature"]
        return {
            "health": data["health"],
            "temperature": temperature,
            "pickup_person": data["pickup_person"],
        }
