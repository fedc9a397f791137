"""Template helpers of claims and statements."""

from __future__ import annotations

from django import template

from tsuen.billing.services import shown_adders as _shown_adders
from tsuen.booking.services import PAYER_LABELS

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
