"""Forms of the application: they parse and explain; the services decide.

Two modes: a *draft* form makes every field optional (saving a draft never asks for
completeness); a *submit* form requires what the application needs. Readings are normalised
to full-width katakana (``core.kana``) and postal codes to ``123-4567`` in ``clean``.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from tsuen.certification import services
from tsuen.core import clock, postal
from tsuen.core.kana import normalise_kana
from tsuen.families.models import FeeClass, Sex
from tsuen.municipalities.models import Municipality

KANA_FIELDS = ("family_name_kana", "given_name_kana")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class StartForm(forms.Form):
    """Where to apply: the municipality of residence, from the postal code or chosen."""

    postal_code = forms.CharField(
        label=_("Postal code of your home"),
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
        help_text=_("Seven digits, for example 160-0022."),
    )
    municipality = forms.ModelChoiceField(
        label=_("Or choose the municipality"),
        queryset=Municipality.objects.order_by("code"),
        required=False,
        empty_label=_("(from the postal code)"),
    )

    def clean(self):
        data = super().clean()
        code = data.get("postal_code", "")
        if code:
            found = postal.lookup(code)
            if postal.normalise_code(code) is None:
                self.add_error(
                    "postal_code", _("Enter the postal code as seven digits, for example 160-0022.")
                )
            elif found is None:
                self.add_error("postal_code", _("This postal code was not found."))
            elif data.get("municipality") is None:
                data["municipality"] = Municipality.objects.filter(
                    code=found.municipality_code
                ).first()
                if data["municipality"] is None:
                    self.add_error(
                        "postal_code",
                        _(
                            "%(city)s does not take applications through this service yet. "
                            "Please contact the municipality."
                        )
                        % {"city": found.prefecture + found.city},
                    )
        elif data.get("municipality") is None:
            raise forms.ValidationError(_("Enter your postal code or choose the municipality."))
        return data


class _ModeForm(forms.Form):
    """Optional fields in draft mode; entries() gives the answers to store."""

    def __init__(self, *args, draft: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.draft = draft
        if draft:
            for f in self.fields.values():
                f.required = False

    def _kana(self, name: str) -> str:
        value = self.cleaned_data.get(name, "")
        return normalise_kana(value) if value else ""

    def clean_family_name_kana(self):
        return self._kana("family_name_kana")

    def clean_given_name_kana(self):
        return self._kana("given_name_kana")

    def clean_birth_date(self):
        birth = self.cleaned_data.get("birth_date")
        if birth and birth > clock.today():
            raise forms.ValidationError(_("The date of birth is in the future."))
        return birth

    def entries(self) -> dict:
        """The answers: cleaned values, or what was typed where a value did not parse (so a
        draft loses nothing)."""
        values = {}
        cleaned = getattr(self, "cleaned_data", {})
        for name, f in self.fields.items():
            if isinstance(f, forms.FileField) or name in ("DELETE",):
                continue
            if name in cleaned and name not in self.errors:
                value = cleaned[name]
            else:
                value = self[name].value()
            values[name] = value.isoformat() if isinstance(value, dt.date) else value
        return values


class _PersonForm(_ModeForm):
    family_name = forms.CharField(label=_("Family name"), max_length=50)
    given_name = forms.CharField(label=_("Given name"), max_length=50)
    family_name_kana = forms.CharField(
        label=_("Family name (katakana)"),
        max_length=100,
        help_text=_("Hiragana is fine too: it is converted."),
    )
    given_name_kana = forms.CharField(label=_("Given name (katakana)"), max_length=100)
    birth_date = forms.DateField(label=_("Date of birth"), widget=DateInput)
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices, widget=forms.RadioSelect)


class ApplicantForm(_PersonForm):
    """The guardian, the household's address and its fee class."""

    def __init__(self, *args, has_evidence: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        for name, token in (
            ("family_name", "family-name"),
            ("given_name", "given-name"),
            ("birth_date", "bday"),
        ):
            self.fields[name].widget.attrs["autocomplete"] = token
        self.order_fields([*services.GUARDIAN_FIELDS, *services.ADDRESS_FIELDS, "fee_class"])
        self.has_evidence = has_evidence
        self.fields["postal_code"].widget.attrs["data-postal-url"] = reverse(
            "certification:postal", args=["0000000"]
        )

    relation = forms.CharField(
        label=_("Relation to the child"),
        max_length=30,
        help_text=_("For example: mother, father, grandmother."),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    email = forms.EmailField(label=_("Email"), widget=forms.EmailInput({"autocomplete": "email"}))
    workplace = forms.CharField(label=_("Workplace or school"), max_length=100, required=False)
    postal_code = forms.CharField(
        label=_("Postal code"),
        max_length=10,
        help_text=_("Seven digits; the prefecture and city are filled in from it."),
        widget=forms.TextInput({"autocomplete": "postal-code", "inputmode": "numeric"}),
    )
    prefecture = forms.CharField(
        label=_("Prefecture"),
        max_length=10,
        required=False,
        widget=forms.TextInput({"autocomplete": "address-level1"}),
    )
    city = forms.CharField(
        label=_("City / ward"),
        max_length=50,
        required=False,
        widget=forms.TextInput({"autocomplete": "address-level2"}),
    )
    address_line = forms.CharField(
        label=_("Address"),
        max_length=200,
        help_text=_("Town, block and building, for example 新宿1-1-1 新宿ハイツ101."),
        widget=forms.TextInput({"autocomplete": "address-line1"}),
    )
    fee_class = forms.ChoiceField(
        label=_("Household fee class"),
        choices=FeeClass.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "Households in these classes pay a reduced fee. Choose “No reduction” if none applies."
        ),
    )
    fee_evidence = forms.FileField(
        label=_("Evidence of the fee class (PDF, JPEG or PNG)"),
        required=False,
        help_text=_("Not needed for “No reduction”. A photo of the document is fine."),
        widget=forms.ClearableFileInput({"accept": "application/pdf,image/jpeg,image/png"}),
    )

    def clean_postal_code(self):
        code = self.cleaned_data.get("postal_code", "")
        if not code:
            return ""
        digits = postal.normalise_code(code)
        if digits is None:
            raise forms.ValidationError(
                _("Enter the postal code as seven digits, for example 160-0022.")
            )
        return f"{digits[:3]}-{digits[3:]}"

    def clean(self):
        data = super().clean()
        code = data.get("postal_code")
        if code and not (data.get("prefecture") and data.get("city")):
            found = postal.lookup(code)
            if found is not None:
                data["prefecture"] = data.get("prefecture") or found.prefecture
                data["city"] = data.get("city") or found.city
        if not self.draft:
            for name in ("prefecture", "city"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, _("This field is required."))
            fee_class = data.get("fee_class")
            if (
                fee_class
                and fee_class != FeeClass.NONE
                and not data.get("fee_evidence")
                and not self.has_evidence
            ):
                self.add_error(
                    "fee_evidence",
                    _("Upload a document that shows the household's fee class (PDF, JPEG or PNG)."),
                )
        return data


class ChildForm(_PersonForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields([*services.CHILD_FIELDS, "child_id"])

    medical_care = forms.BooleanField(
        label=_("The child needs medical care (医療的ケア)"), required=False
    )
    disability = forms.BooleanField(label=_("The child has a disability"), required=False)
    declares_no_excluded_enrolment = forms.BooleanField(
        label=_(
            "I declare that the child does not attend a nursery (保育所), certified centre "
            "(認定こども園), community-type or employer-led childcare."
        ),
        error_messages={"required": _("Confirm this declaration to apply.")},
    )
    child_id = forms.IntegerField(widget=forms.HiddenInput, required=False)


class BaseChildFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove this child from the application")


ChildFormSet = forms.formset_factory(ChildForm, formset=BaseChildFormSet, extra=0, can_delete=True)
