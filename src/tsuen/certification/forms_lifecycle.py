"""Forms of the ward's fee-class and end-of-certification pages (the services check again)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tsuen.certification.lifecycle import STAFF_END_REASONS
from tsuen.families.models import FeeClass


class DateInput(forms.DateInput):
    input_type = "date"


class FeeClassForm(forms.Form):
    fee_class = forms.ChoiceField(label=_("Fee class"), choices=FeeClass.choices)
    valid_from = forms.DateField(label=_("Valid from"), widget=DateInput)
    valid_to = forms.DateField(
        label=_("Valid to"),
        widget=DateInput,
        required=False,
        help_text=_("Leave empty while no end is known (the next September switch closes it)."),
    )


class EndForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Reason"), choices=[(r.value, r.label) for r in STAFF_END_REASONS]
    )
    ended_on = forms.DateField(
        label=_("Last certified day"),
        widget=DateInput,
        help_text=_("Bookings after this day are cancelled and the family is told."),
    )

    def ask_confirmation(self) -> None:
        """Add the confirmation box (after the service named the submitted claims)."""
        self.fields["confirm_claims"] = forms.BooleanField(
            label=_("I have read the claims above and end the certification anyway"),
            required=False,
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.data and "confirm_claims" in self.data:
            self.ask_confirmation()


class ChildrenFilterForm(forms.Form):
    """The filters of the ward's list of certified children; the facility is one of the ward's."""

    text = forms.CharField(
        label=_("Certificate number, name or reading"), required=False, max_length=100
    )
    facility = forms.TypedChoiceField(
        label=_("Facility used"), required=False, coerce=int, empty_value=None
    )
    include_ended = forms.BooleanField(label=_("Include ended certifications"), required=False)

    def __init__(self, *args, facilities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].choices = [("", _("All facilities"))] + [
            (f.pk, f.name) for f in facilities
        ]
