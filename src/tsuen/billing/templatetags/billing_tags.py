"""Template helpers of claims and statements."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.translation import gettext as _

from tsuen.billing.services import month_label
from tsuen.billing.services import shown_adders as _shown_adders
from tsuen.booking.services import PAYER_LABELS
from tsuen.core import dates

register = template.Library()


@register.filter
def payer_label(payer: str) -> str:
    """A funding bucket's payer in words (国の給付, 東京都の事業...); other payers as written."""
    return str(PAYER_LABELS.get(payer, payer))


@register.filter
def shown_adders(adders: dict) -> list[tuple[str, int]]:
    """A line's adders as a claim document shows them: disability and medical care by name,
    any other (about the household) only as "other" (docs/billing.md, "What a facility
    sees")."""
    return list(_shown_adders(adders or {}).items())


@register.filter
def doc_date(day: dt.date | None) -> str:
    """A date as a claim or statement prints it: the one date style (core.dates), never ISO."""
    return dates.date_text(day)


@register.filter
def doc_month(value) -> str:
    """A month (anything with ``year`` and ``month``: a claim, a statement, a date) as a
    document prints it (``billing.services.month_label``)."""
    return month_label(value.year, value.month)


@register.filter
def hours(minutes: int | None) -> str:
    """Minutes as hours and minutes: 2時間30分 / 2 h 30 min (a family reads hours, not
    minutes)."""
    if minutes is None:
        return ""
    h, m = divmod(int(minutes), 60)
    if dates.is_japanese():
        return f"{h}時間{m}分" if m else f"{h}時間"
    return _("%(h)d h %(m)02d min") % {"h": h, "m": m} if m else _("%(h)d h") % {"h": h}


@register.filter
def age_class_label(age_class: int) -> str:
    """0歳児クラス / Class 0."""
    return _("Class %(n)d") % {"n": age_class}


@register.filter
def line_sums(lines) -> dict[str, int]:
    """The columns of a claim's lines summed, for the table's total row."""
    return {
        "minutes": sum(line.billable_minutes for line in lines),
        "base": sum(line.base_amount for line in lines),
        "first_visit": sum(line.first_visit_amount for line in lines),
        "fee_net": sum(line.fee_net for line in lines),
        "reduction": sum(line.reduction_reimbursed for line in lines),
        "total": sum(line.total for line in lines),
    }
