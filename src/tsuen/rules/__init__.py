"""The rules of こども誰でも通園制度 (乳児等通園支援事業) as pure functions.

No Django, no database, no clock: every date and time is passed in. See docs/rules.md for the
rules in plain words and the list of error codes.
"""

from .age import age_class, age_in_months_on, age_on, reaches_age_on, reaches_months_on
from .benefit import (
    BenefitBreakdown,
    BenefitLine,
    first_visit_adder_again_from,
    first_visit_adder_due,
    visit_benefit,
)
from .billable import billable_minutes, round_up_to_billing_grid, validate_booking_length
from .cancellation import (
    JST,
    cancellation_counts,
    cancellation_deadline,
    is_late_cancellation,
)
from .caps import CapCheck, CapUsage, cap_usage, check_caps, reaches_share_of_cap
from .eligibility import (
    AGED_OUT,
    ELIGIBILITY_REASONS,
    EXCLUDED_ENROLMENT,
    TOO_YOUNG,
    Eligibility,
    EligibilityWindow,
    eligibility_on,
    eligibility_window,
    national_last_day,
)
from .errors import ERROR_CODES, RuleError
from .fees import FeeBreakdown, user_fee
from .funding import BucketShare, BucketSplit, fund_visits, split_into_buckets
from .money import pro_rata
from .offers import offer_hold_ends
from .periods import (
    Period,
    fiscal_year_bounds,
    fiscal_year_of,
    month_bounds,
    period_bounds,
    period_end,
)
from .policy import (
    NATIONAL_PAYER,
    NATIONALLY_EXCLUDED,
    NEVER_EXCLUDED,
    Cap,
    EligibilityEnd,
    Enrolment,
    FeeClass,
    FundingBucket,
    Policy,
    national_default_policy,
)
from .policy_change import (
    BookedVisit,
    CapExcess,
    ChildBookings,
    EligibilityChange,
    PolicyChangeEffect,
    policy_change_effect,
)
from .rates import NATIONAL_RATES, Adder, BenefitRates, national_rates
from .visits import Visit

__all__ = [
    "AGED_OUT",
    "ELIGIBILITY_REASONS",
    "ERROR_CODES",
    "EXCLUDED_ENROLMENT",
    "JST",
    "NATIONALLY_EXCLUDED",
    "NATIONAL_PAYER",
    "NATIONAL_RATES",
    "NEVER_EXCLUDED",
    "TOO_YOUNG",
    "Adder",
    "BenefitBreakdown",
    "BenefitLine",
    "BenefitRates",
    "BookedVisit",
    "BucketShare",
    "BucketSplit",
    "Cap",
    "CapCheck",
    "CapExcess",
    "CapUsage",
    "ChildBookings",
    "Eligibility",
    "EligibilityChange",
    "EligibilityEnd",
    "EligibilityWindow",
    "Enrolment",
    "FeeBreakdown",
    "FeeClass",
    "FundingBucket",
    "Period",
    "Policy",
    "PolicyChangeEffect",
    "RuleError",
    "Visit",
    "age_class",
    "age_in_months_on",
    "age_on",
    "billable_minutes",
    "cancellation_counts",
    "cancellation_deadline",
    "cap_usage",
    "check_caps",
    "eligibility_on",
    "eligibility_window",
    "first_visit_adder_again_from",
    "first_visit_adder_due",
    "fiscal_year_bounds",
    "fiscal_year_of",
    "fund_visits",
    "is_late_cancellation",
    "month_bounds",
    "national_default_policy",
    "national_last_day",
    "national_rates",
    "offer_hold_ends",
    "period_bounds",
    "period_end",
    "policy_change_effect",
    "pro_rata",
    "reaches_age_on",
    "reaches_months_on",
    "reaches_share_of_cap",
    "round_up_to_billing_grid",
    "split_into_buckets",
    "user_fee",
    "validate_booking_length",
    "visit_benefit",
]
