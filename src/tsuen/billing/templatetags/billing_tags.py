"""Template helpers of claims and statements."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import formats
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from tsuen.billing.services import shown_adders as _shown_adders
from tsuen.booking.services import PAYER_LABELS
from tsuen.core.wareki import wareki, wareki_year

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


def _japanese() -> bool:
    return (get_language() or "ja").startswith("ja")


@register.filter
def doc_date(day: dt.date | None) -> str:
    """A date as a claim or statement prints it: 令和8年11月5日 in Japanese, the language's
    long date in another language (never ISO)."""
    if day is None:
        return ""
    if _japanese():
        return wareki(day)
    return formats.date_format(day, "DATE_FORMAT")


@register.filter
def doc_month(value) -> str:
    """A month (anything with ``year`` and ``month``: a claim, a statement, a date) as a
    document prints it: 令和8年11月 in Japanese, November 2026 in English."""
    first = dt.date(value.year, value.month, 1)
    if _japanese():
        return f"{wareki_year(first)}{first.month}月"
    return formats.date_format(first, "YEAR_MONTH_FORMAT")


@register.filter
def hours(minutes: int | None) -> str:
    """Minutes as hours and minutes: 2時間30分 / 2 h 30 min (a family reads hours, not
    minutes)."""
    if minutes is None:
        return ""
    h, m = divmod(int(minutes), 60)
    if _japanese():
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
