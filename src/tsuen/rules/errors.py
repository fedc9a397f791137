"""The one error type of the rules package and the catalogue of its codes.

Other parts of tsuen translate a `RuleError` for the user by its `code`; the English message is
for logs and developers. Every code a rule can raise is listed in `ERROR_CODES`, and a test
checks that the list, the code and docs/rules.md agree.
"""

ERROR_CODES: dict[str, str] = {
    # Values and dates
    "value_invalid": "A value has the wrong type or is not one of the allowed choices.",
    "date_out_of_range": "A date computed from the input falls outside the supported calendar.",
    "birth_after_date": "The birth date is after the date asked about.",
    "age_negative": "An age (in years or months) below zero was asked for.",
    "fiscal_year_invalid": "A fiscal year is not a whole number between 1 and 9998.",
    "date_outside_policy_year": "A date lies outside the fiscal year of the policy used.",
    "fiscal_year_mismatch": "The fiscal year given does not match the policy's fiscal year.",
    # Visits and bookings
    "visit_end_not_after_start": "A visit or booking ends before or at its start.",
    "time_kinds_mixed": "Start and end are not the same kind (aware/naive datetime, or minutes).",
    "visit_minutes_not_positive": "A visit has zero or negative minutes.",
    "booking_too_short": "A booking is shorter than the policy's minimum visit.",
    "booking_off_step_grid": "A booking's length is not the minimum plus whole steps.",
    "earlier_visit_after_visit": "A visit passed as earlier is dated after the visit to fund.",
    # Money
    "fee_negative": "A facility fee per hour is negative.",
    "age_class_invalid": "An age class other than 0, 1 or 2 was given for pricing.",
    "rates_unknown_fiscal_year": "No national rate table exists for that fiscal year.",
    "rates_invalid": "A rate table is incomplete or holds negative or non-integer amounts.",
    "adder_unknown": "An adder that is not a known Adder was given.",
    "bucket_share_invalid": "A bucket share does not match the policy's buckets.",
    "interview_minutes_negative": "An interview length is negative.",
    "last_use_after_visit": "The last use at the facility is dated after the visit.",
    # Policy (one municipality, one fiscal year)
    "policy_value_invalid": "A policy setting has the wrong type or an unknown choice.",
    "policy_min_age_invalid": "The minimum age in months is not between 0 and 35.",
    "policy_no_caps": "The policy has no hours cap.",
    "policy_cap_not_positive": "An hours cap is zero or negative.",
    "policy_cap_below_national_hours": "A cap allows fewer hours than the national bucket.",
    "policy_no_buckets": "The policy has no funding bucket.",
    "policy_bucket_limit_not_positive": "A funding bucket's limit is zero or negative.",
    "policy_unlimited_bucket_not_last": "An unlimited funding bucket is not the last one.",
    "policy_national_bucket_count": "The policy does not have exactly one national bucket.",
    "policy_national_bucket_not_first": "The national bucket is not the first bucket.",
    "policy_national_bucket_period": "The national bucket is not a limited monthly bucket.",
    "policy_national_limit_out_of_range": (
        "The national monthly hours are outside 3-10 h (to FY2027) or not 10 h (from FY2028)."
    ),
    "policy_buckets_do_not_cover_caps": "Hours allowed by the caps could be left unfunded.",
    "policy_extension_unfunded": "Ward-extension days could have hours no ward bucket can fund.",
    "policy_excluded_enrolments_missing_national": "A nationally excluded enrolment is allowed.",
    "policy_excluded_enrolments_not_allowed": "Unlicensed or temporary care is excluded.",
    "policy_billing_minimum_not_positive": "The minimum billed visit is zero or negative.",
    "policy_billing_step_invalid": "The billing step does not divide an hour or the minimum.",
    "policy_reduction_invalid": "A fee reduction is negative, or set for households with none.",
    "policy_reduction_too_large": "A fee reduction per hour is above the sane bound (3,000 yen).",
    "policy_cap_period_repeated": "Two hours caps count over the same period.",
    "policy_caps_out_of_order": "The monthly cap is above the fiscal-year cap.",
    "policy_bucket_repeated": "Two funding buckets have the same payer and period.",
    "policy_hours_above_period": "A cap or bucket holds more hours than its period has.",
    "policy_price_too_large": "A bucket's own price per hour is above the sane bound (10,000 yen).",
    "policy_cancel_deadline_invalid": "The cancellation deadline settings are invalid.",
    "policy_booking_window_not_positive": "The booking window is zero or negative days.",
    "policy_staff_ratio_invalid": "Staff ratios are not positive numbers for classes 0, 1, 2.",
}


class RuleError(ValueError):
    """Impossible input to a rule. `code` is stable and machine-readable; see ERROR_CODES."""

    def __init__(self, code: str, message: str) -> None:
        if code not in ERROR_CODES:
            # A programming error in this package, not bad input: fail loudly.
            raise KeyError(f"unknown RuleError code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"RuleError({self.code!r}, {self.message!r})"


def require_int(value: object, code: str, what: str) -> int:
    """Return `value` if it is a plain int (not a bool), else raise RuleError(code)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuleError(code, f"{what} must be a whole number, got {value!r}.")
    return value
