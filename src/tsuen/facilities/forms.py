"""Input of the facility pages: the search filters and the first-interview request."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tsuen.core.templatetags.tsuen import date_jp
from tsuen.facilities.services import SearchCriteria, TimeOfDay, Use

WEEKDAYS = (
    (1, _("Monday")),
    (2, _("Tuesday")),
    (3, _("Wednesday")),
    (4, _("Thursday")),
    (5, _("Friday")),
    (6, _("Saturday")),
    (7, _("Sunday")),
)
AGE_CLASS_CHOICES = (
    ("", _("Any age")),
    ("0", _("Age class 0")),
    ("1", _("Age class 1")),
    ("2", _("Age class 2")),
)


class SearchForm(forms.Form):
    """Every filter is optional; an empty form lists every published facility."""

    municipality = forms.TypedChoiceField(
        label=_("Municipality"), required=False, coerce=int, empty_value=None
    )
    area = forms.CharField(
        label=_("Area or name"),
        required=False,
        max_length=50,
        help_text=_("A town name in the address, e.g. 高田馬場"),
    )
    child = forms.TypedChoiceField(
        label=_("For my child"), required=False, coerce=int, empty_value=None
    )
    age_class = forms.TypedChoiceField(
        label=_("Age class"),
        required=False,
        choices=AGE_CLASS_CHOICES,
        coerce=int,
        empty_value=None,
    )
    weekday = forms.TypedChoiceField(
        label=_("Weekday"),
        required=False,
        choices=(("", _("Any day")), *WEEKDAYS),
        coerce=int,
        empty_value=None,
    )
    time_of_day = forms.ChoiceField(
        label=_("Time of day"),
        required=False,
        choices=(
            ("", _("Any time")),
            (TimeOfDay.MORNING, _("Morning")),
            (TimeOfDay.AFTERNOON, _("Afternoon")),
        ),
    )
    at = forms.TimeField(
        label=_("At (time)"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": _("Enter a time such as 10:30.")},
    )
    use = forms.ChoiceField(
        label=_("Type of use"),
        required=False,
        choices=(
            ("", _("Either")),
            (Use.FLEXIBLE, _("Flexible use (柔軟利用)")),
            (Use.REGULAR, _("Regular use (定期利用)")),
        ),
    )
    medical_care = forms.BooleanField(label=_("Supports medical care"), required=False)
    allergy = forms.BooleanField(label=_("Supports allergy meals"), required=False)
    free_places = forms.BooleanField(
        label=_("Has free places in the next four weeks"), required=False
    )

    def __init__(self, *args, municipalities=(), children=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipality"].choices = [("", _("All municipalities"))] + [
            (m.pk, str(m)) for m in municipalities
        ]
        if children:
            self.fields["child"].choices = [("", _("Choose a child"))] + [
                (c.pk, c.full_name) for c in children
            ]
        else:
            del self.fields["child"]

    def criteria(self) -> SearchCriteria:
        data = self.cleaned_data
        return SearchCriteria(
            municipality_id=data.get("municipality"),
            area=data.get("area") or "",
            age_class=data.get("age_class"),
            child_id=data.get("child"),
            weekday=data.get("weekday"),
            time_of_day=data.get("time_of_day") or "",
            at=data.get("at"),
            use=data.get("use") or "",
            medical_care=bool(data.get("medical_care")),
            allergy=bool(data.get("allergy")),
            free_places=bool(data.get("free_places")),
        )


class InterviewRequestForm(forms.Form):
    child = forms.TypedChoiceField(
        label=_("Child"),
        coerce=int,
        error_messages={"required": _("Choose the child the interview is for.")},
    )
    slot = forms.TypedChoiceField(
        label=_("Interview time"),
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose an interview time."),
            "invalid_choice": _("Choose one of the interview times offered."),
        },
    )

    def __init__(self, *args, children=(), slots=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["child"].choices = [(c.pk, c.full_name) for c in children]
        self.fields["child"].error_messages["invalid_choice"] = _(
            "Choose the child the interview is for."
        )
        self.fields["slot"].choices = [(s.pk, slot_label(s)) for s in slots]


def slot_label(slot) -> str:
    from django.utils import timezone

    starts = timezone.localtime(slot.starts_at)
    ends = timezone.localtime(slot.ends_at)
    return _("%(date)s %(start)s–%(end)s (%(left)d left)") % {
        "date": date_jp(starts),
        "start": f"{starts:%H:%M}",
        "end": f"{ends:%H:%M}",
        "left": slot.left,
    }
