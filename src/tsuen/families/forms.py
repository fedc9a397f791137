"""Forms of the child profile and of proxy invitations: they parse input for the services,
which enforce the rules again (families/services.py)."""

from __future__ import annotations

from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _

from tsuen.families.services import MAX_CONTACTS, MAX_TEXT_CHARS


class LinesField(forms.CharField):
    """A textarea whose lines become a list (one allergy, vaccination or person per line)."""

    widget = forms.Textarea(attrs={"rows": 4})

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(str(item) for item in value)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        # CharField's own NUL check runs on the cleaned value, which is a list here.
        ProhibitNullCharactersValidator()(text)
        return [line.strip() for line in text.splitlines() if line.strip()]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class MealsForm(forms.Form):
    allergies = LinesField(
        label=_("Diagnosed allergies"), help_text=_("One per line, e.g. egg, milk, wheat.")
    )
    meal_requirements = forms.CharField(
        label=_("Meal requirements"),
        help_text=_("Medical diets and religious rules, e.g. no pork, halal, vegetarian."),
        required=False,
        max_length=MAX_TEXT_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class HealthForm(forms.Form):
    illnesses = LinesField(
        label=_("Illnesses"), help_text=_("Illnesses the facility must know about, one per line.")
    )
    vaccinations = LinesField(
        label=_("Vaccinations"), help_text=_("One per line with its date, e.g. BCG 1 Oct 2024.")
    )
    certificate = forms.FileField(
        label=_("Doctor's certificate (PDF, JPEG or PNG)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )


class PickupForm(forms.Form):
    pickup_persons = LinesField(
        label=_("Who drops off and picks up"),
        help_text=_("One person per line with the relation, e.g. 試験 花子（母）."),
    )


class DevelopmentForm(forms.Form):
    development_notes = forms.CharField(
        label=_("Development notes"),
        help_text=_("Anything that helps the facility care for your child."),
        required=False,
        max_length=MAX_TEXT_CHARS,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    relation = forms.CharField(
        label=_("Relation to the child"), max_length=30, help_text=_("e.g. grandmother")
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.EmailField(label=_("Email"), required=False)
    birth_date = forms.DateField(label=_("Date of birth"), required=False, widget=DateInput())
    priority = forms.IntegerField(
        label=_("Order"),
        required=False,
        min_value=1,
        max_value=MAX_CONTACTS,
        help_text=_("1 is called first."),
    )


class GrowthForm(forms.Form):
    measured_on = forms.DateField(label=_("Measured on"), widget=DateInput())
    height_cm = forms.DecimalField(
        label=_("Height (cm)"),
        max_digits=4,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )
    weight_kg = forms.DecimalField(
        label=_("Weight (kg)"),
        max_digits=4,
        decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
    )


class ProxyInviteForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address of the person you invite"),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
