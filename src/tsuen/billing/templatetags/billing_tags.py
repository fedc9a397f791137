"""Template helpers of claims and statements."""

from __future__ import annotations

from django import template

from tsuen.booking.services import PAYER_LABELS

register = template.Library()


@register.filter
def payer_label(payer: str) -> str:
    """A funding bucket's payer in words (国の給付, 東京都の事業...); other payers as written."""
    return str(PAYER_LABELS.get(payer, payer))
