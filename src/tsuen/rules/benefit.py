"""The benefit paid to the facility for one visit, line by funding bucket."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType

from .errors import RuleError, require_int
from .funding import BucketShare
from .money import pro_rata
from .periods import ONE_DAY, period_end, require_date
from .policy import Policy
from .rates import AGE_CLASSES, Adder, BenefitRates, national_rates

FIRST_VISIT_MIN_INTERVIEW_MINUTES = 30
FIRST_VISIT_GAP_MONTHS = 6


@dataclass(frozen=True)
class BenefitLine:
    """What one bucket's payer owes the facility for its share of a visit (whole yen)."""

    bucket_index: int
    payer: str
    minutes: int
    base: int
    adders: int
    first_visit: int

    @property
    def total(self) -> int:
        return self.base + self.adders + self.first_visit


@dataclass(frozen=True)
class BenefitBreakdown:
    lines: tuple[BenefitLine, ...]

    @property
    def total(self) -> int:
        return sum(line.total for line in self.lines)

    def by_payer(self) -> Mapping[str, int]:
        """Total yen per payer, in bucket order."""
        totals: dict[str, int] = {}
        for line in self.lines:
            totals[line.payer] = totals.get(line.payer, 0) + line.total
        return MappingProxyType(totals)


def first_visit_adder_again_from(last_use: date) -> date:
    """The first day a first-visit adder is due again after a use on `last_use`.

    "Six months without use" is counted with the legal period rule, starting with the first
    day without use: last use 2026-04-10 means six months of no use run 2026-04-11 to
    2026-10-10, so the adder is due again from 2026-10-11. Last use 2026-08-30: the period
    from 2026-08-31 ends on 2027-02-28 (February has no 31st), so due again from 2027-03-01.
    """
    require_date(last_use, "last_use")
    return period_end(last_use + ONE_DAY, FIRST_VISIT_GAP_MONTHS) + ONE_DAY


def first_visit_adder_due(
    interview_minutes: int,
    follow_up_recorded: bool,
    last_use_date_at_facility: date | None,
    visit_date: date,
) -> bool:
    """Whether the first-visit adder (初回対応加算) is due for this visit at this facility.

    Due when an interview of at least 30 minutes and a follow-up talk are recorded, and the
    child either never used this facility or has not used it for six months or more (see
    first_visit_adder_again_from). `last_use_date_at_facility` is the last day of use before
    this visit.
    """
    minutes = require_int(interview_minutes, "value_invalid", "interview_minutes")
    if minutes < 0:
        raise RuleError("interview_minutes_negative", f"An interview cannot last {minutes}.")
    if not isinstance(follow_up_recorded, bool):
        raise RuleError(
            "value_invalid", f"follow_up_recorded must be a bool: {follow_up_recorded!r}."
        )
    require_date(visit_date, "visit_date")
    if last_use_date_at_facility is not None:
        require_date(last_use_date_at_facility, "last_use_date_at_facility")
        if last_use_date_at_facility > visit_date:
            raise RuleError(
                "last_use_after_visit",
                f"The last use {last_use_date_at_facility} is after the visit {visit_date}.",
            )
    if minutes < FIRST_VISIT_MIN_INTERVIEW_MINUTES or not follow_up_recorded:
        return False
    if last_use_date_at_facility is None:
        return True
    return visit_date >= first_visit_adder_again_from(last_use_date_at_facility)


def _adders(adders: Iterable[Adder]) -> frozenset[Adder]:
    if isinstance(adders, str):
        adders = (adders,)
    result = set()
    for adder in adders:
        try:
            result.add(Adder(adder))
        except ValueError:
            raise RuleError("adder_unknown", f"Unknown adder {adder!r}.") from None
    return frozenset(result)


def _checked_shares(policy: Policy, shares: Iterable[BucketShare]) -> list[BucketShare]:
    checked = []
    seen = set()
    for share in shares:
        ok = (
            isinstance(share, BucketShare)
            and isinstance(share.bucket_index, int)
            and 0 <= share.bucket_index < len(policy.buckets)
            and share.bucket_index not in seen
            and policy.buckets[share.bucket_index].payer == share.payer
            and isinstance(share.minutes, int)
            and share.minutes > 0
        )
        if not ok:
            raise RuleError("bucket_share_invalid", f"{share!r} does not fit the policy's buckets.")
        seen.add(share.bucket_index)
        checked.append(share)
    return sorted(checked, key=lambda s: s.bucket_index)


def visit_benefit(
    policy: Policy,
    fiscal_year: int,
    age_class: int,
    bucket_shares: Iterable[BucketShare],
    adders: Iterable[Adder],
    first_visit: bool,
    national: BenefitRates | None = None,
) -> BenefitBreakdown:
    """The benefit for one visit, one line per bucket share.

    Each share is priced at its bucket's rates (the national table of the fiscal year when the
    bucket has none): base per hour for the age class, plus each adder per hour, both pro rata
    by the share's minutes, so adders follow the same payer split as the base. The first-visit
    adder is a flat amount paid once, by the first bucket that funds this visit (the national
    one, except on ward-extension days); nothing when that payer's rates have no such adder.
    Unfunded minutes earn nothing. Each amount is rounded down to the yen.

    ``national`` is the national table to use for buckets without rates of their own (the
    caller reads the operator's table for the year, when there is one); ``None``: the built-in
    table of the fiscal year.
    """
    if fiscal_year != policy.fiscal_year:
        raise RuleError(
            "fiscal_year_mismatch",
            f"FY{fiscal_year} was given with the policy for FY{policy.fiscal_year}.",
        )
    if isinstance(age_class, bool) or age_class not in AGE_CLASSES:
        raise RuleError("age_class_invalid", f"Age class must be 0, 1 or 2, got {age_class!r}.")
    if not isinstance(first_visit, bool):
        raise RuleError("value_invalid", f"first_visit must be a bool: {first_visit!r}.")
    if national is not None and not isinstance(national, BenefitRates):
        raise RuleError("rates_invalid", f"national must be BenefitRates: {national!r}.")
    wanted = _adders(adders)
    lines = []
    for position, share in enumerate(_checked_shares(policy, bucket_shares)):
        bucket = policy.buckets[share.bucket_index]
        rates: BenefitRates = bucket.rates or national or national_rates(fiscal_year)
        adder_per_hour = sum(rates.adder_per_hour(a) for a in wanted)
        first = 0
        if first_visit and position == 0 and rates.first_visit is not None:
            first = rates.first_visit[age_class]
        lines.append(
            BenefitLine(
                bucket_index=share.bucket_index,
                payer=share.payer,
                minutes=share.minutes,
                base=pro_rata(rates.base_per_hour[age_class], share.minutes),
                adders=pro_rata(adder_per_hour, share.minutes),
                first_visit=first,
            )
        )
    return BenefitBreakdown(lines=tuple(lines))
