"""The policy: every setting one municipality chooses for one fiscal year.

Other code builds a `Policy` from the database; the rules only read it. A `Policy` validates
itself when built, so a policy object that exists is consistent. Staff-facing code can catch
`RuleError` and translate its `code`.
"""

from collections.abc import Iterable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from datetime import date, time
from enum import StrEnum
from types import MappingProxyType

from .errors import RuleError
from .periods import Period, check_fiscal_year, fiscal_year_bounds, require_date
from .rates import AGE_CLASSES, BenefitRates


class EligibilityEnd(StrEnum):
    """When a child's eligibility ends."""

    # Two days before the 3rd birthday: the day before the day age 3 is reached.
    NATIONAL = "national"
    # 31 March of the fiscal year that holds the day the child reaches 3 (年度末年齢満3歳), as
    # Shinjuku does. Ward-extension days are funded only by non-national buckets.
    FISCAL_YEAR_END_AGE_3 = "fiscal_year_end_age_3"


class FeeClass(StrEnum):
    """The household's fee class, which sets the fee reduction per hour."""

    NONE = "none"
    PUBLIC_ASSISTANCE = "public_assistance"  # 生活保護世帯
    TAX_EXEMPT = "tax_exempt"  # 市町村民税非課税世帯
    LOW_INCOME = "low_income"  # 所得割 under 77,101 yen
    SUPPORT_NEEDED = "support_needed"  # 要支援世帯


class Enrolment(StrEnum):
    """Where else a child may be enrolled; some enrolments exclude the child from the programme."""

    AUTHORISED_NURSERY = "authorised_nursery"  # 認可保育所
    CERTIFIED_CENTRE = "certified_centre"  # 認定こども園
    COMMUNITY_CARE = "community_care"  # 地域型保育
    EMPLOYER_LED = "employer_led"  # 企業主導型保育
    KINDERGARTEN = "kindergarten"  # 幼稚園: excluded only if the municipality says so
    UNLICENSED = "unlicensed"  # 認可外保育施設: never excludes
    TEMPORARY = "temporary"  # 一時預かり: never excludes


NATIONALLY_EXCLUDED = frozenset(
    {
        Enrolment.AUTHORISED_NURSERY,
        Enrolment.CERTIFIED_CENTRE,
        Enrolment.COMMUNITY_CARE,
        Enrolment.EMPLOYER_LED,
    }
)
NEVER_EXCLUDED = frozenset({Enrolment.UNLICENSED, Enrolment.TEMPORARY})

NATIONAL_PAYER = "national"
# The payers a ward chooses from for its funding buckets: the national benefit, its prefecture's
# programme (e.g. Tokyo's), and the ward's own money.
PREFECTURE_PAYER = "prefecture"
WARD_PAYER = "ward"
PAYERS = (NATIONAL_PAYER, PREFECTURE_PAYER, WARD_PAYER)
# Sane bounds for amounts a ward types: a reduction per hour (the standard fee is 300 yen an
# hour) and a payer's own price per child-hour (the national base price is 1,700 yen).
MAX_REDUCTION_PER_HOUR = 3_000
MAX_PRICE_PER_HOUR = 10_000
# The longest a period can be, in minutes: a cap or a bucket cannot hold more.
PERIOD_MAX_MINUTES = {Period.MONTH: 31 * 24 * 60, Period.FISCAL_YEAR: 366 * 24 * 60}
# The national monthly hours: 10 hours. As a transition a municipality may choose 3 to 10 hours
# up to and including FY2027 ("until FY2027"); from FY2028 it is 10 hours.
NATIONAL_MONTHLY_MINUTES = 600
TRANSITION_MIN_MONTHLY_MINUTES = 180
LAST_TRANSITION_FISCAL_YEAR = 2027

DEFAULT_REDUCTIONS_PER_HOUR: Mapping[FeeClass, int] = MappingProxyType(
    {
        FeeClass.PUBLIC_ASSISTANCE: 300,
        FeeClass.TAX_EXEMPT: 240,
        FeeClass.LOW_INCOME: 210,
        FeeClass.SUPPORT_NEEDED: 150,
    }
)
# Children per adult, by age class.
DEFAULT_STAFF_RATIOS: Mapping[int, int] = MappingProxyType({0: 3, 1: 6, 2: 6})


def _bad(what: str, value: object) -> RuleError:
    return RuleError("policy_value_invalid", f"{what} has an invalid value {value!r}.")


def _int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(what, value)
    return value


def _bool(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise _bad(what, value)
    return value


def _choice[E: StrEnum](enum: type[E], value: object, what: str) -> E:
    try:
        return enum(value)
    except ValueError:
        raise _bad(what, value) from None


@dataclass(frozen=True)
class Cap:
    """A limit on a child's total billed minutes over a period, across all facilities."""

    period: Period
    limit_minutes: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "period", _choice(Period, self.period, "Cap.period"))
        if _int(self.limit_minutes, "Cap.limit_minutes") <= 0:
            raise RuleError(
                "policy_cap_not_positive", f"A cap must be above zero, got {self.limit_minutes}."
            )


@dataclass(frozen=True)
class FundingBucket:
    """One payer's share of a child's minutes over a period; None as limit means no limit.

    `national` buckets are the national benefit; they cannot take minutes on days after the
    child's national eligibility end. `rates` are the payer's own rates (None: the national
    table of the fiscal year).
    """

    payer: str
    period: Period
    limit_minutes: int | None
    national: bool
    rates: BenefitRates | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.payer, str) or not self.payer.strip():
            raise _bad("FundingBucket.payer", self.payer)
        object.__setattr__(self, "period", _choice(Period, self.period, "FundingBucket.period"))
        limit = self.limit_minutes
        if limit is not None and _int(limit, "FundingBucket.limit_minutes") <= 0:
            raise RuleError(
                "policy_bucket_limit_not_positive",
                f"Bucket {self.payer!r} needs a limit above zero or None (no limit).",
            )
        _bool(self.national, "FundingBucket.national")
        if self.rates is not None and not isinstance(self.rates, BenefitRates):
            raise _bad("FundingBucket.rates", self.rates)


DEFAULT_EXCLUDED_ENROLMENTS = NATIONALLY_EXCLUDED
DEFAULT_CAPS = (Cap(Period.MONTH, NATIONAL_MONTHLY_MINUTES),)
DEFAULT_BUCKETS = (
    FundingBucket(NATIONAL_PAYER, Period.MONTH, NATIONAL_MONTHLY_MINUTES, national=True),
)


@dataclass(frozen=True)
class Policy:
    """One municipality's settings for one fiscal year. Defaults are the national ones.

    min_age_months: the first eligible day is the day the child reaches this many months.
    eligibility_end: see EligibilityEnd.
    excluded_enrolments: enrolments that make a child ineligible; always holds the four national
        ones, never unlicensed or temporary care; kindergarten is the municipality's choice
        (default: not excluded).
    billing_minimum_minutes, billing_step_minutes: a visit bills at least the minimum, then
        whole steps, rounded up. Bookings must be the minimum plus whole steps.
    caps: limits on a child's total minutes; a booking that would break any is refused.
    buckets: ordered funding buckets; a visit fills the first with room, then the next.
    reductions_per_hour: yen per hour off the fee, by fee class (missing class: no reduction).
    free_for_residents: residents pay nothing (the whole fee is waived).
    cancel_deadline_days_before, cancel_deadline_time: cancelling at or before this local time
        that many days before the visit frees the hours (default: the day before, 17:00).
    late_cancellation_counts, no_show_counts: whether those still count towards the caps.
    booking_window_days: how many days ahead bookings open (used by booking code).
    staff_ratios: children per adult, by age class 0, 1, 2.
    """

    fiscal_year: int
    _: KW_ONLY
    min_age_months: int = 6
    eligibility_end: EligibilityEnd = EligibilityEnd.NATIONAL
    excluded_enrolments: frozenset[Enrolment] = DEFAULT_EXCLUDED_ENROLMENTS
    billing_minimum_minutes: int = 60
    billing_step_minutes: int = 30
    caps: tuple[Cap, ...] = DEFAULT_CAPS
    buckets: tuple[FundingBucket, ...] = DEFAULT_BUCKETS
    reductions_per_hour: Mapping[FeeClass, int] = field(
        default=DEFAULT_REDUCTIONS_PER_HOUR, hash=False
    )
    free_for_residents: bool = False
    cancel_deadline_days_before: int = 1
    cancel_deadline_time: time = time(17, 0)
    late_cancellation_counts: bool = True
    no_show_counts: bool = True
    booking_window_days: int = 31
    staff_ratios: Mapping[int, int] = field(default=DEFAULT_STAFF_RATIOS, hash=False)

    def __post_init__(self) -> None:
        self._normalise()
        self.validate()

    # Normalising turns database-shaped input (lists, strings, dicts) into immutable values.
    def _normalise(self) -> None:
        def put(name: str, value: object) -> None:
            object.__setattr__(self, name, value)

        put("fiscal_year", check_fiscal_year(self.fiscal_year))
        _int(self.min_age_months, "min_age_months")
        put(
            "eligibility_end",
            _choice(EligibilityEnd, self.eligibility_end, "eligibility_end"),
        )
        if isinstance(self.excluded_enrolments, str | bytes) or not isinstance(
            self.excluded_enrolments, Iterable
        ):
            raise _bad("excluded_enrolments", self.excluded_enrolments)
        put(
            "excluded_enrolments",
            frozenset(
                _choice(Enrolment, e, "excluded_enrolments") for e in self.excluded_enrolments
            ),
        )
        for name in ("billing_minimum_minutes", "billing_step_minutes"):
            _int(getattr(self, name), name)
        for name, kind in (("caps", Cap), ("buckets", FundingBucket)):
            items = getattr(self, name)
            if isinstance(items, str | bytes) or not isinstance(items, Iterable):
                raise _bad(name, items)
            items = tuple(items)
            for item in items:
                if not isinstance(item, kind):
                    raise _bad(name, item)
            put(name, items)
        if not isinstance(self.reductions_per_hour, Mapping):
            raise _bad("reductions_per_hour", self.reductions_per_hour)
        put(
            "reductions_per_hour",
            MappingProxyType(
                {
                    _choice(FeeClass, k, "reductions_per_hour"): _int(v, "reductions_per_hour")
                    for k, v in self.reductions_per_hour.items()
                }
            ),
        )
        for name in ("free_for_residents", "late_cancellation_counts", "no_show_counts"):
            _bool(getattr(self, name), name)
        _int(self.cancel_deadline_days_before, "cancel_deadline_days_before")
        if not isinstance(self.cancel_deadline_time, time):
            raise _bad("cancel_deadline_time", self.cancel_deadline_time)
        _int(self.booking_window_days, "booking_window_days")
        if not isinstance(self.staff_ratios, Mapping):
            raise _bad("staff_ratios", self.staff_ratios)
        put("staff_ratios", MappingProxyType(dict(self.staff_ratios)))

    def validate(self) -> None:
        """Raise RuleError when the settings contradict each other or the law."""
        if not 0 <= self.min_age_months < 36:
            raise RuleError(
                "policy_min_age_invalid",
                f"The minimum age must be 0 to 35 months, got {self.min_age_months}.",
            )
        self._validate_enrolments()
        self._validate_billing()
        self._validate_caps_and_buckets()
        self._validate_money_and_booking()

    def _validate_enrolments(self) -> None:
        missing = NATIONALLY_EXCLUDED - self.excluded_enrolments
        if missing:
            raise RuleError(
                "policy_excluded_enrolments_missing_national",
                "These enrolments are excluded nationally and must stay excluded: "
                + ", ".join(sorted(missing)),
            )
        wrong = NEVER_EXCLUDED & self.excluded_enrolments
        if wrong:
            raise RuleError(
                "policy_excluded_enrolments_not_allowed",
                "Unlicensed and temporary care never exclude a child: " + ", ".join(sorted(wrong)),
            )

    def _validate_billing(self) -> None:
        minimum, step = self.billing_minimum_minutes, self.billing_step_minutes
        if minimum <= 0:
            raise RuleError(
                "policy_billing_minimum_not_positive",
                f"The minimum billed visit must be above zero, got {minimum}.",
            )
        if step <= 0 or 60 % step != 0 or minimum % step != 0:
            raise RuleError(
                "policy_billing_step_invalid",
                f"The billing step ({step}) must divide 60 and the minimum ({minimum}).",
            )

    def _validate_caps_and_buckets(self) -> None:
        if not self.caps:
            raise RuleError("policy_no_caps", "A policy needs at least one hours cap.")
        if not self.buckets:
            raise RuleError("policy_no_buckets", "A policy needs at least one funding bucket.")
        for bucket in self.buckets[:-1]:
            if bucket.limit_minutes is None:
                raise RuleError(
                    "policy_unlimited_bucket_not_last",
                    f"Bucket {bucket.payer!r} has no limit, so only the last bucket may.",
                )
        national = [i for i, b in enumerate(self.buckets) if b.national]
        if len(national) != 1:
            raise RuleError(
                "policy_national_bucket_count",
                f"A policy needs exactly one national bucket, got {len(national)}.",
            )
        if national[0] != 0:
            raise RuleError(
                "policy_national_bucket_not_first",
                "The national bucket must come first: national hours are used before top-ups.",
            )
        bucket = self.buckets[0]
        if bucket.period is not Period.MONTH or bucket.limit_minutes is None:
            raise RuleError(
                "policy_national_bucket_period",
                "The national bucket counts hours per calendar month and has a limit.",
            )
        hours = bucket.limit_minutes
        if self.fiscal_year <= LAST_TRANSITION_FISCAL_YEAR:
            allowed = TRANSITION_MIN_MONTHLY_MINUTES <= hours <= NATIONAL_MONTHLY_MINUTES
            rule = "180 to 600 minutes (3 to 10 hours) a month up to FY2027"
        else:
            allowed = hours == NATIONAL_MONTHLY_MINUTES
            rule = "600 minutes (10 hours) a month from FY2028"
        if not allowed:
            raise RuleError(
                "policy_national_limit_out_of_range",
                f"The national bucket must be {rule}, got {hours}.",
            )
        for cap in self.caps:
            floor = hours if cap.period is Period.MONTH else 12 * hours
            if cap.limit_minutes < floor:
                raise RuleError(
                    "policy_cap_below_national_hours",
                    f"A {cap.period} cap of {cap.limit_minutes} minutes is below the "
                    f"{floor} national minutes a child is entitled to.",
                )
        if not _buckets_cover_caps(self.caps, self.buckets):
            raise RuleError(
                "policy_buckets_do_not_cover_caps",
                "Some minutes allowed by the caps would find no funding bucket; raise the "
                "bucket limits or make the last bucket unlimited.",
            )
        if self.eligibility_end is EligibilityEnd.FISCAL_YEAR_END_AGE_3:
            ward_buckets = [b for b in self.buckets if not b.national]
            if not _buckets_cover_caps(self.caps, ward_buckets):
                raise RuleError(
                    "policy_extension_unfunded",
                    "Eligibility runs to the fiscal year end, but the non-national buckets "
                    "cannot fund all the minutes the caps allow on those extra days.",
                )
        self._validate_coherence()

    def _validate_coherence(self) -> None:
        """One cap per period, the monthly cap no larger than the fiscal-year cap, one bucket
        per payer and period, and no cap or bucket longer than its period."""
        periods = [c.period for c in self.caps]
        if len(set(periods)) != len(periods):
            raise RuleError(
                "policy_cap_period_repeated", f"Two caps count over the same period: {periods}."
            )
        by_period = {c.period: c.limit_minutes for c in self.caps}
        month, year = by_period.get(Period.MONTH), by_period.get(Period.FISCAL_YEAR)
        if month is not None and year is not None and month > year:
            raise RuleError(
                "policy_caps_out_of_order",
                f"The monthly cap ({month}) is above the fiscal-year cap ({year}).",
            )
        keys = [(b.payer, b.period) for b in self.buckets]
        if len(set(keys)) != len(keys):
            raise RuleError(
                "policy_bucket_repeated", f"Two buckets have the same payer and period: {keys}."
            )
        for item in (*self.caps, *self.buckets):
            if (item.limit_minutes or 0) > PERIOD_MAX_MINUTES[item.period]:
                raise RuleError(
                    "policy_hours_above_period",
                    f"{item.limit_minutes} minutes do not fit in a {item.period}.",
                )
        for bucket in self.buckets:
            rates = bucket.rates
            if rates is not None and any(
                v > MAX_PRICE_PER_HOUR
                for v in (*rates.base_per_hour.values(), *rates.adders_per_hour.values())
            ):
                raise RuleError(
                    "policy_price_too_large",
                    f"Bucket {bucket.payer!r} pays more than {MAX_PRICE_PER_HOUR} yen an hour.",
                )

    def _validate_money_and_booking(self) -> None:
        for fee_class, amount in self.reductions_per_hour.items():
            if amount < 0 or (fee_class is FeeClass.NONE and amount != 0):
                raise RuleError(
                    "policy_reduction_invalid",
                    f"Reduction for {fee_class} must be >= 0 (and 0 for no class), got {amount}.",
                )
            if amount > MAX_REDUCTION_PER_HOUR:
                raise RuleError(
                    "policy_reduction_too_large",
                    f"Reduction for {fee_class} is above {MAX_REDUCTION_PER_HOUR} yen an hour.",
                )
        if self.cancel_deadline_days_before < 0 or self.cancel_deadline_time.tzinfo is not None:
            raise RuleError(
                "policy_cancel_deadline_invalid",
                "The cancellation deadline needs days >= 0 and a local time without a zone.",
            )
        if self.booking_window_days <= 0:
            raise RuleError(
                "policy_booking_window_not_positive",
                f"The booking window must be at least one day, got {self.booking_window_days}.",
            )
        ratios = self.staff_ratios
        if set(ratios) != set(AGE_CLASSES) or any(
            isinstance(v, bool) or not isinstance(v, int) or v <= 0 for v in ratios.values()
        ):
            raise RuleError(
                "policy_staff_ratio_invalid",
                f"Staff ratios need a whole number above zero for classes 0, 1, 2: {dict(ratios)}.",
            )

    # Convenience readers.
    @property
    def first_day(self) -> date:
        return fiscal_year_bounds(self.fiscal_year)[0]

    @property
    def last_day(self) -> date:
        return fiscal_year_bounds(self.fiscal_year)[1]

    def check_date(self, day: date, what: str = "date") -> date:
        """Raise date_outside_policy_year unless `day` is in this policy's fiscal year."""
        require_date(day, what)
        if not self.first_day <= day <= self.last_day:
            raise RuleError(
                "date_outside_policy_year",
                f"{what} {day} is outside FY{self.fiscal_year}; use that year's policy.",
            )
        return day

    def reduction_per_hour(self, fee_class: FeeClass) -> int:
        return self.reductions_per_hour.get(FeeClass(fee_class), 0)


def _buckets_cover_caps(caps: tuple[Cap, ...], buckets: Iterable[FundingBucket]) -> bool:
    """True when no history of visits that respects every cap can leave minutes unfunded.

    Minutes go unfunded on a day only when every bucket is full. Then the month already holds
    at least the monthly buckets' limits, and the fiscal year at least the monthly buckets'
    limits plus the fiscal-year buckets' limits; adding the new minutes would break a monthly
    cap no larger than the first sum, or a fiscal-year cap (or twelve times a monthly cap) no
    larger than the second. This test is sufficient, not necessary: a few layouts that would in
    fact always be funded (a fiscal-year bucket sized to top up every month exactly) are refused.
    """
    buckets = list(buckets)
    if not buckets:
        return False
    if any(b.limit_minutes is None for b in buckets):
        return True
    monthly = sum(b.limit_minutes or 0 for b in buckets if b.period is Period.MONTH)
    yearly = sum(b.limit_minutes or 0 for b in buckets if b.period is Period.FISCAL_YEAR)
    month_caps = [c.limit_minutes for c in caps if c.period is Period.MONTH]
    year_caps = [c.limit_minutes for c in caps if c.period is Period.FISCAL_YEAR]
    if month_caps and min(month_caps) <= monthly:
        return True
    year_limits = year_caps + [12 * m for m in month_caps]
    return min(year_limits) <= monthly + yearly


def national_default_policy(fiscal_year: int) -> Policy:
    """The national defaults: cap 10 h a month, one national bucket of 10 h a month."""
    return Policy(
        fiscal_year,
        caps=(Cap(Period.MONTH, NATIONAL_MONTHLY_MINUTES),),
        buckets=(
            FundingBucket(NATIONAL_PAYER, Period.MONTH, NATIONAL_MONTHLY_MINUTES, national=True),
        ),
    )
