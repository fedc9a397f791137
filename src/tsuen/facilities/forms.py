"""Input of the facility pages: the search filters and the first-interview request."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tsuen.core.forms import QuickSelect
from tsuen.core.templatetags.tsuen import date_jp
from tsuen.facilities import services
from tsuen.facilities.services import SearchCriteria, TimeOfDay, Use
from tsuen.national.prefectures import CODE_OF, PREFECTURES

PREFECTURE_NAMES = dict(PREFECTURES)

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


def all_of(prefecture: str) -> str:
    """The municipality list's first choice: the whole prefecture, or the whole country."""
    if prefecture:
        return _("All municipalities in %(prefecture)s") % {"prefecture": prefecture}
    return _("All municipalities")


def _id(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class SearchForm(forms.Form):
    """Every filter is optional; an empty form lists every published facility.

    The place is chosen in two steps, the prefecture and then one of its municipalities that
    publish a facility: the form never lists (nor reads) the whole country's municipalities.
    :meth:`build` reads the one prefecture's list the request needs."""

    prefecture = forms.ChoiceField(
        widget=QuickSelect,
        label=_("Prefecture"),
        required=False,
        choices=(("", _("All prefectures")), *PREFECTURES),
    )
    municipality = forms.TypedChoiceField(
        widget=QuickSelect, label=_("Municipality"), required=False, coerce=int, empty_value=None
    )
    area = forms.CharField(
        label=_("Area or name"),
        required=False,
        max_length=50,
        help_text=_("A town name in the address, e.g. 高田馬場"),
    )
    child = forms.TypedChoiceField(
        widget=QuickSelect, label=_("For my child"), required=False, coerce=int, empty_value=None
    )
    age_class = forms.TypedChoiceField(
        widget=QuickSelect,
        label=_("Age class"),
        required=False,
        choices=AGE_CLASS_CHOICES,
        coerce=int,
        empty_value=None,
    )
    weekday = forms.TypedChoiceField(
        widget=QuickSelect,
        label=_("Weekday"),
        required=False,
        choices=(("", _("Any day")), *WEEKDAYS),
        coerce=int,
        empty_value=None,
    )
    time_of_day = forms.ChoiceField(
        widget=QuickSelect,
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
        widget=QuickSelect,
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

    @classmethod
    def build(cls, data, *, children=()) -> SearchForm:
        """The form for the request's query (``None``: the page opened without one).

        The municipalities listed are those of the prefecture chosen; of the municipality
        chosen when the query names no prefecture (a link); on a guardian's first visit, of
        their own municipality, which is then chosen (or, if it publishes no facility, its
        whole prefecture)."""
        home = None
        if data is None and children:
            home = children[0].household.municipality_id
        name = PREFECTURE_NAMES.get((data or {}).get("prefecture", ""), "")
        if name:
            municipalities = services.search_municipalities(prefecture=name)
        elif data is not None and "prefecture" in data:  # all prefectures (or not one)
            municipalities = []
        else:
            of = home if data is None else _id(data.get("municipality"))
            municipalities = services.search_municipalities(of=of) if of else []
        return cls(data, municipalities=municipalities, children=children, home=home)

    def __init__(self, data=None, *, municipalities=(), children=(), home=None, **kwargs):
        ids = {m.pk for m in municipalities}
        prefecture = municipalities[0].prefecture if municipalities else ""
        if data is None:
            if prefecture in CODE_OF:  # a guardian's first visit: their own place
                kwargs["initial"] = {
                    "prefecture": CODE_OF[prefecture],
                    "municipality": home if home in ids else None,
                }
        else:
            data = data.copy()
            if municipalities and not data.get("prefecture") and prefecture in CODE_OF:
                data["prefecture"] = CODE_OF[prefecture]  # a link naming a municipality only
            if _id(data.get("municipality")) not in ids:
                # Another prefecture was chosen with the last one's municipality still set (no
                # JavaScript to refill the list): the prefecture wins.
                data["municipality"] = ""
        super().__init__(data, **kwargs)
        self.names = {m.pk: str(m) for m in municipalities}
        self.place = prefecture or PREFECTURE_NAMES.get(self["prefecture"].value() or "", "")
        field = self.fields["municipality"]
        field.choices = [("", all_of(self.place))] + [(m.pk, m.name) for m in municipalities]
        if not municipalities:
            field.disabled = True
            field.help_text = _("Choose the prefecture first.")
        if children:
            self.fields["child"].choices = [("", _("Choose a child"))] + [
                (c.pk, c.full_name) for c in children
            ]
        else:
            del self.fields["child"]

    def chosen(self) -> int:
        """How many filters are set (the prefecture counts only without a municipality)."""
        values = {name: self[name].value() for name in self.fields}
        if values.get("municipality"):
            values.pop("prefecture")
        return sum(1 for value in values.values() if value not in (None, "", "0", False))

    def where(self) -> str:
        """The place searched, as the results name it ("" for the whole country)."""
        criteria = self.criteria()
        return self.names.get(criteria.municipality_id, "") or criteria.prefecture

    def criteria(self) -> SearchCriteria:
        """What to search: the valid form's filters; unbound, its initial place."""
        data = self.cleaned_data if self.is_bound else self.initial
        return SearchCriteria(
            municipality_id=data.get("municipality"),
            prefecture=PREFECTURE_NAMES.get(data.get("prefecture") or "", ""),
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
