"""The policy editor's forms: the settings, the caps and the funding buckets.

The forms check shapes (numbers, choices); whether the settings make sense together is the
rules' question, asked by the service. ``PolicyEditor`` bundles the three and turns them into
the model's field values (and back, for prefilling).
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from tsuen import rules
from tsuen.municipalities.models import EligibilityEnd, MunicipalPolicy

ENROLMENT_LABELS = {
    rules.Enrolment.AUTHORISED_NURSERY: _("Authorised nursery (認可保育所)"),
    rules.Enrolment.CERTIFIED_CENTRE: _("Certified centre (認定こども園)"),
    rules.Enrolment.COMMUNITY_CARE: _("Community-based care (地域型保育)"),
    rules.Enrolment.EMPLOYER_LED: _("Employer-led care (企業主導型保育)"),
    rules.Enrolment.KINDERGARTEN: _("Kindergarten (幼稚園)"),
    rules.Enrolment.UNLICENSED: _("Unlicensed care (認可外保育施設)"),
    rules.Enrolment.TEMPORARY: _("Temporary care (一時預かり)"),
}
PERIOD_CHOICES = [
    (rules.Period.MONTH.value, _("a calendar month")),
    (rules.Period.FISCAL_YEAR.value, _("a fiscal year")),
]
FEE_CLASS_LABELS = {
    rules.FeeClass.PUBLIC_ASSISTANCE: _("Public assistance households"),
    rules.FeeClass.TAX_EXEMPT: _("Municipal-tax-exempt households"),
    rules.FeeClass.LOW_INCOME: _("Low-income households"),
    rules.FeeClass.SUPPORT_NEEDED: _("Households needing support"),
}
#: The payers a bucket may have: a list, never free text (see rules.PAYERS).
PAYER_CHOICES = [
    (rules.NATIONAL_PAYER, _("National benefit (国)")),
    (rules.PREFECTURE_PAYER, _("The prefecture's programme (都道府県)")),
    (rules.WARD_PAYER, _("The ward's own money (区市町村)")),
]
AGE_CLASSES = (0, 1, 2)
MONTH = rules.Period.MONTH.value  # an empty extra row shows it and is still left out
HOURS = dict(min_value=Decimal("0.5"), max_value=Decimal("8784"), decimal_places=1)
#: Where the service's refusals that name no single setting are shown.
SECTIONS = ("caps", "buckets", "reductions", "staff_ratios")


def _minutes(hours: Decimal | None) -> int | None:
    return None if hours is None else int(hours * 60)


def _hours(minutes: int | None) -> Decimal | None:
    return None if minutes is None else (Decimal(minutes) / 60).quantize(Decimal("0.1"))


class SettingsForm(forms.Form):
    fiscal_year = forms.TypedChoiceField(label=_("Fiscal year"), coerce=int)
    effective_from = forms.DateField(
        label=_("Takes effect on"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    eligibility_end = forms.ChoiceField(
        label=_("Eligibility ends"), choices=EligibilityEnd.choices, widget=forms.RadioSelect
    )
    min_age_months = forms.IntegerField(label=_("Minimum age (months)"), min_value=0, max_value=35)
    excluded_enrolments = forms.MultipleChoiceField(
        label=_("Enrolments that exclude a child"),
        choices=list(ENROLMENT_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    billing_minimum_minutes = forms.IntegerField(
        label=_("Minimum visit (minutes)"), min_value=1, max_value=600
    )
    billing_step_minutes = forms.IntegerField(
        label=_("Visit step (minutes)"), min_value=1, max_value=60
    )
    booking_window_days = forms.IntegerField(
        label=_("Bookings open (days ahead)"), min_value=1, max_value=366
    )
    cancel_deadline_days_before = forms.IntegerField(
        label=_("Free cancellation until (days before the visit)"), min_value=0, max_value=60
    )
    cancel_deadline_time = forms.TimeField(
        label=_("Free cancellation until (time)"),
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
    )
    late_cancellation_counts = forms.BooleanField(
        label=_("Late cancellations count towards the hours"), required=False
    )
    no_show_counts = forms.BooleanField(label=_("No-shows count towards the hours"), required=False)
    free_for_residents = forms.BooleanField(
        label=_("Free for the ward's residents"), required=False
    )

    def __init__(self, *args, fiscal_years=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fiscal_year"].choices = [
            (y, _("FY%(year)s") % {"year": y}) for y in fiscal_years
        ]
        for fee_class, label in FEE_CLASS_LABELS.items():
            self.fields[f"reduction_{fee_class}"] = forms.IntegerField(
                label=label, min_value=0, max_value=rules.MAX_REDUCTION_PER_HOUR
            )
        for age in AGE_CLASSES:
            self.fields[f"staff_ratio_{age}"] = forms.IntegerField(
                label=_("Age class %(age)s") % {"age": age}, min_value=1, max_value=30
            )

    def reduction_fields(self):
        return [self[f"reduction_{c}"] for c in FEE_CLASS_LABELS]

    def staff_ratio_fields(self):
        return [self[f"staff_ratio_{a}"] for a in AGE_CLASSES]


class CapForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=PERIOD_CHOICES, initial=MONTH)
    hours = forms.DecimalField(label=_("Hours"), **HOURS)


class BucketForm(forms.Form):
    # No payer chosen in advance: an untouched extra row stays empty and is left out.
    payer = forms.ChoiceField(
        label=_("Payer"), choices=[("", _("Choose the payer")), *PAYER_CHOICES]
    )
    period = forms.ChoiceField(label=_("Period"), choices=PERIOD_CHOICES, initial=MONTH)
    hours = forms.DecimalField(
        label=_("Hours"), required=False, help_text=_("Empty: no limit."), **HOURS
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for age in AGE_CLASSES:
            self.fields[f"rate_{age}"] = forms.IntegerField(
                label=_("Price per hour, age class %(age)s (yen)") % {"age": age},
                min_value=0,
                max_value=rules.MAX_PRICE_PER_HOUR,
                required=False,
            )

    def rate_fields(self):
        return [self[f"rate_{a}"] for a in AGE_CLASSES]

    def clean(self):
        data = super().clean()
        given = [data.get(f"rate_{a}") for a in AGE_CLASSES]
        if any(v is not None for v in given) and any(v is None for v in given):
            raise forms.ValidationError(
                _("Give a price for every age class, or none to use the national prices.")
            )
        return data


class _Rows(forms.BaseFormSet):
    """Rows of a table: each input is named by its column's label for assistive technology."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        for field in form.fields.values():
            field.widget.attrs.setdefault("aria-label", str(field.label))


CapFormSet = forms.formset_factory(CapForm, _Rows, extra=1, can_delete=True, max_num=6)
BucketFormSet = forms.formset_factory(BucketForm, _Rows, extra=1, can_delete=True, max_num=6)


class PolicyEditor:
    """The three forms of the editor, bound to a POST or prefilled from a version."""

    def __init__(self, fiscal_years, data=None, start: MunicipalPolicy | None = None):
        initial = _initial(start) if start is not None else {}
        self.settings = SettingsForm(
            data, initial=initial.get("settings"), fiscal_years=fiscal_years
        )
        self.caps = CapFormSet(data, initial=initial.get("caps"), prefix="caps")
        self.buckets = BucketFormSet(data, initial=initial.get("buckets"), prefix="buckets")
        self.section_errors: dict[str, list[str]] = {name: [] for name in SECTIONS}

    def is_valid(self) -> bool:
        return all([self.settings.is_valid(), self.caps.is_valid(), self.buckets.is_valid()])

    def add_errors(self, error) -> None:
        """The service's refusal (``PolicyInvalid``) shown where it belongs: at a setting, in
        a section of the form, or for the whole version."""
        for where, messages in error.message_dict.items():
            for message in messages:
                if where in SECTIONS:
                    self.section_errors[where].append(message)
                elif where in self.settings.fields:
                    self.settings.add_error(where, message)
                else:
                    self.settings.add_error(None, message)

    def summary(self) -> list[tuple[str, str]]:
        """Every error of the editor as (message, id of the field or section it concerns), in
        the order of the form, for the summary at its top."""
        items: list[tuple[str, str]] = [
            (m, "policy-form") for m in self.settings.non_field_errors()
        ]
        for name in self.settings.fields:
            for message in self.settings.errors.get(name, ()):
                items.append((message, _field_id(self.settings[name])))
        for name, formset in (("caps", self.caps), ("buckets", self.buckets)):
            items += [(m, name) for m in formset.non_form_errors()]
            for form in formset.forms:
                for field, messages in form.errors.items():
                    target = name if field == "__all__" else _field_id(form[field])
                    items += [(m, target) for m in messages]
        for name in SECTIONS:
            items += [(m, name) for m in self.section_errors[name]]
        return items

    def values(self) -> dict:
        """The model's field values from the valid forms."""
        data = self.settings.cleaned_data
        values = {
            name: data[name]
            for name in (
                "fiscal_year", "effective_from", "eligibility_end", "min_age_months",
                "billing_minimum_minutes", "billing_step_minutes", "booking_window_days",
                "cancel_deadline_days_before", "cancel_deadline_time",
                "late_cancellation_counts", "no_show_counts", "free_for_residents",
            )
        }  # fmt: skip
        values["excluded_enrolments"] = sorted(data["excluded_enrolments"])
        values["reductions_per_hour"] = {str(c): data[f"reduction_{c}"] for c in FEE_CLASS_LABELS}
        values["staff_ratios"] = {str(a): data[f"staff_ratio_{a}"] for a in AGE_CLASSES}
        values["caps"] = [
            {"period": c["period"], "limit_minutes": _minutes(c["hours"])} for c in _kept(self.caps)
        ]
        values["buckets"] = [_bucket(b) for b in _kept(self.buckets)]
        return values


def _field_id(bound) -> str:
    """The id of a field's (first) input, for a link to it."""
    return bound.id_for_label or f"{bound.auto_id}_0"


def _kept(formset) -> list[dict]:
    return [
        f.cleaned_data for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")
    ]


def _bucket(data: dict) -> dict:
    bucket = {
        "payer": data["payer"],
        "period": data["period"],
        "limit_minutes": _minutes(data["hours"]),
        "national": data["payer"] == rules.NATIONAL_PAYER,
    }
    if data.get("rate_0") is not None:
        bucket["rates"] = {
            "base_per_hour": {str(a): data[f"rate_{a}"] for a in AGE_CLASSES},
            "adders_per_hour": {},
            "first_visit": None,
        }
    return bucket


def _initial(row: MunicipalPolicy) -> dict:
    settings = {
        name: getattr(row, name)
        for name in (
            "fiscal_year", "effective_from", "eligibility_end", "min_age_months",
            "excluded_enrolments", "billing_minimum_minutes", "billing_step_minutes",
            "booking_window_days", "cancel_deadline_days_before", "cancel_deadline_time",
            "late_cancellation_counts", "no_show_counts", "free_for_residents",
        )
    }  # fmt: skip
    for fee_class in FEE_CLASS_LABELS:
        settings[f"reduction_{fee_class}"] = row.reductions_per_hour.get(str(fee_class), 0)
    for age in AGE_CLASSES:
        settings[f"staff_ratio_{age}"] = row.staff_ratios.get(str(age))
    caps = [{"period": c["period"], "hours": _hours(c["limit_minutes"])} for c in row.caps]
    buckets = []
    for b in row.buckets:
        bucket = {
            "payer": b["payer"],
            "period": b["period"],
            "hours": _hours(b["limit_minutes"]),
        }
        base = (b.get("rates") or {}).get("base_per_hour") or {}
        bucket |= {f"rate_{a}": base.get(str(a)) for a in AGE_CLASSES}
        buckets.append(bucket)
    return {"settings": settings, "caps": caps, "buckets": buckets}


def describe(row: MunicipalPolicy) -> dict:
    """A version's list settings with the editor's labels, for reading."""
    periods = dict(PERIOD_CHOICES)
    payers = dict(PAYER_CHOICES)
    return {
        "excluded": [ENROLMENT_LABELS.get(e, e) for e in row.excluded_enrolments],
        "caps": [(periods.get(c["period"], c["period"]), c["limit_minutes"]) for c in row.caps],
        "buckets": [
            {
                "payer": payers.get(b["payer"], b["payer"]),
                "period": periods.get(b["period"], b["period"]),
                "limit_minutes": b["limit_minutes"],
                "national": b["national"],
                "prices": [
                    ((b.get("rates") or {}).get("base_per_hour") or {}).get(str(a))
                    for a in AGE_CLASSES
                ]
                if b.get("rates")
                else None,
            }
            for b in row.buckets
        ],
        "reductions": [
            (label, row.reductions_per_hour.get(str(c), 0)) for c, label in FEE_CLASS_LABELS.items()
        ],
        "ratios": [(a, row.staff_ratios.get(str(a))) for a in AGE_CLASSES],
    }
