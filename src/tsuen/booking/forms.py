"""The booking form: who is coming, from when, until when (on the policy's time grid).

The form only parses; every rule is enforced again in ``tsuen.booking.services``.
"""

from __future__ import annotations

import datetime as dt
import functools

from django import forms
from django.utils.translation import gettext_lazy as _

from tsuen.core.forms import QuickSelect


@functools.lru_cache(maxsize=256)
def _time_choices(first: dt.time, last: dt.time, step: int) -> tuple[tuple[str, str], ...]:
    """The times from ``first`` to ``last`` every ``step`` minutes, as the select's choices;
    kept per grid (a facility's opening hours and a ward's step: few of them), since the form
    is built on every booking confirm."""
    day = dt.date(2000, 1, 1)
    at, end = dt.datetime.combine(day, first), dt.datetime.combine(day, last)
    choices = []
    while at <= end:
        text = at.strftime("%H:%M")
        choices.append((text, text))
        at += dt.timedelta(minutes=step)
    return tuple(choices)


class BookingForm(forms.Form):
    """``children`` are the household's children; ``slot`` the place slot; ``minimum`` and
    ``step`` the policy's visit length (60 minutes, then 30-minute steps by default)."""

    children = forms.MultipleChoiceField(
        label=_("Who is coming?"),
        help_text=_("Tick more than one child to book brothers and sisters together."),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose the child to book for.")},
    )
    # Rendered in Python (tsuen.core.forms.QuickSelect): the page is shown again on every
    # refused booking of the 09:00 rush.
    start = forms.ChoiceField(label=_("From"), widget=QuickSelect)
    end = forms.ChoiceField(label=_("Until"), widget=QuickSelect)

    def __init__(self, *args, children, slot, minimum: int = 60, step: int = 30, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["children"].choices = [(str(c.pk), c.full_name) for c in children]
        if len(children) == 1:
            self.fields["children"].widget = forms.MultipleHiddenInput()
            self.fields["children"].initial = [str(children[0].pk)]
        day = dt.date(2000, 1, 1)
        latest_start = (
            dt.datetime.combine(day, slot.ends_at) - dt.timedelta(minutes=minimum)
        ).time()
        earliest_end = (
            dt.datetime.combine(day, slot.starts_at) + dt.timedelta(minutes=minimum)
        ).time()
        self.fields["start"].choices = _time_choices(slot.starts_at, latest_start, step)
        self.fields["end"].choices = _time_choices(earliest_end, slot.ends_at, step)

    def clean(self):
        data = super().clean()
        for name in ("start", "end"):
            if isinstance(data.get(name), str):
                data[name] = dt.time.fromisoformat(data[name])
        if data.get("start") and data.get("end") and data["end"] <= data["start"]:
            self.add_error("end", _("The end must be after the start."))
        if "children" in data:
            data["children"] = sorted(int(pk) for pk in data["children"])
        return data
