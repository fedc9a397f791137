"""Policies used across the rules tests, written the way docs/rules.md describes them."""

from hypothesis import settings

from tsuen.rules import Cap, EligibilityEnd, FundingBucket, Period, Policy


def setagaya_like(fiscal_year: int = 2026) -> Policy:
    """48 hours a month in all: the national 10 hours first, then 38 ward-funded hours."""
    return Policy(
        fiscal_year,
        caps=(Cap(Period.MONTH, 48 * 60),),
        buckets=(
            FundingBucket("national", Period.MONTH, 10 * 60, national=True),
            FundingBucket("setagaya", Period.MONTH, 38 * 60, national=False),
        ),
    )


def shinjuku_like(fiscal_year: int = 2026) -> Policy:
    """Eligible to the fiscal year end of reaching 3; 160 hours a fiscal year; the national
    10 hours a month first, then Tokyo's programme for the rest."""
    return Policy(
        fiscal_year,
        eligibility_end=EligibilityEnd.FISCAL_YEAR_END_AGE_3,
        caps=(Cap(Period.FISCAL_YEAR, 160 * 60),),
        buckets=(
            FundingBucket("national", Period.MONTH, 10 * 60, national=True),
            FundingBucket("tokyo", Period.FISCAL_YEAR, None, national=False),
        ),
    )


PROPERTY = settings(deadline=None, max_examples=300)
