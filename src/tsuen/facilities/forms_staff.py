"""Forms of the facility's own screens: they parse; the services enforce the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tsuen.accounts.models import Role
from tsuen.core.forms import RowIdField
from tsuen.facilities.checks import BANK_FIELDS
from tsuen.facilities.models import Facility
from tsuen.facilities.services_staff import PROFILE_FIELDS

WEEKDAYS = [
    (1, _("Monday")),
    (2, _("Tuesday")),
    (3, _("Wednesday")),
    (4, _("Thursday")),
    (5, _("Friday")),
    (6, _("Saturday")),
    (7, _("Sunday")),
]
AGE_CLASSES = [(0, _("Class 0")), (1, _("Class 1")), (2, _("Class 2"))]
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Facility
        fields = PROFILE_FIELDS
        widgets = {"opens_at": TIME, "closes_at": TIME}


class BankAccountForm(forms.ModelForm):
    """The account the ward pays the claims into (振込先); services_staff checks it."""

    class Meta:
        model = Facility
        fields = BANK_FIELDS
        help_texts = {
            "bank_account_number": _("Seven digits."),
            "bank_account_holder": _("In katakana, as the bank has it (for example ホイクエン)."),
        }


class PhotoForm(forms.Form):
    photo = forms.FileField(label=_("Photo (JPEG or PNG)"))


class PhotoDeleteForm(forms.Form):
    photo = RowIdField()


class TeamMemberForm(forms.Form):
    """A button on the team page: (re)activate or deactivate one account."""

    user = RowIdField()
    active = forms.TypedChoiceField(choices=[("0", "0"), ("1", "1")], coerce=lambda v: v == "1")


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[(Role.FACILITY_STAFF, _("Staff")), (Role.FACILITY_MANAGER, _("Manager"))],
    )


class TemplateSlotForm(forms.Form):
    weekday = forms.TypedChoiceField(label=_("Weekday"), choices=WEEKDAYS, coerce=int)
    starts_at = forms.TimeField(label=_("From"), widget=TIME)
    ends_at = forms.TimeField(label=_("Until"), widget=TIME)
    age_class = forms.TypedChoiceField(label=_("Age class"), choices=AGE_CLASSES, coerce=int)
    places = forms.IntegerField(label=_("Places"), min_value=0, max_value=99)
    staff_planned = forms.IntegerField(label=_("Staff planned"), min_value=0, max_value=20)


class GenerateForm(forms.Form):
    first_day = forms.DateField(label=_("First day"), widget=DATE)
    last_day = forms.DateField(label=_("Last day"), widget=DATE)


class CapacityForm(forms.Form):
    slot = forms.IntegerField(widget=forms.HiddenInput)
    capacity = forms.IntegerField(label=_("Places"), min_value=0, max_value=99)


class ClosureForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DATE)
    reason = forms.CharField(label=_("Reason"), max_length=100, required=False)


class HolidayOpeningForm(forms.Form):
    date = forms.DateField(label=_("National holiday"), widget=DATE)
    reason = forms.CharField(label=_("Note"), max_length=100, required=False)


class InterviewSlotForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("From"), widget=DATETIME)
    ends_at = forms.DateTimeField(label=_("Until"), widget=DATETIME)
    capacity = forms.IntegerField(label=_("Families"), min_value=1, max_value=10, initial=1)


class DecideForm(forms.Form):
    held_minutes = forms.IntegerField(
        label=_("Length (minutes)"),
        min_value=0,
        max_value=600,
        help_text=_("At least 30 minutes are needed for the first-visit adder."),
    )
    follow_up_recorded = forms.BooleanField(label=_("Follow-up talk recorded"), required=False)
    notes = forms.CharField(
        label=_("Notes (for the facility)"), widget=forms.Textarea, required=False
    )
    message = forms.CharField(
        label=_("Message to the family"), widget=forms.Textarea, required=False
    )
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("accept", _("Accept")), ("decline", _("Decline"))],
        widget=forms.RadioSelect,
    )
