from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tsuen.retention.models import RECORD_CLASS_LABELS, HoldTarget
from tsuen.retention.schedule import DEFAULTS, RecordClass, Unit


class ScheduleForm(forms.Form):
    """One period per record class (years after the fiscal year, or months)."""

    def __init__(self, *args, periods: dict[RecordClass, int], **kwargs):
        super().__init__(*args, **kwargs)
        for record_class in RecordClass:
            default = DEFAULTS[record_class]
            unit = (
                _("years after the fiscal year")
                if default.unit is Unit.YEARS_AFTER_FISCAL_YEAR
                else _("months")
            )
            self.fields[record_class.value] = forms.IntegerField(
                label=RECORD_CLASS_LABELS[record_class],
                min_value=1,
                max_value=default.maximum,
                initial=periods[record_class],
                help_text=_("In %(unit)s; the default is %(default)s.")
                % {"unit": unit, "default": default.period},
            )


class HoldForm(forms.Form):
    kind = forms.ChoiceField(label=_("Hold on"), choices=HoldTarget.choices)
    target = forms.IntegerField(
        label=_("Number (id) of the household, child or facility"),
        min_value=1,
        max_value=10**18 - 1,
        help_text=_("The number at the end of the address of its page in tsuen."),
    )
    reason = forms.CharField(label=_("Reason for the hold"), max_length=200)


class ReleaseForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the release"), max_length=200)
