"""Who may attend on a given day: age limits and excluded enrolments."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from .age import reaches_age_on, reaches_months_on
from .errors import RuleError
from .periods import ONE_DAY, fiscal_year_bounds, fiscal_year_of, require_date
from .policy import EligibilityEnd, Enrolment, Policy

# Reasons eligibility_on gives for a "no"; not errors, just answers.
TOO_YOUNG = "too_young"
AGED_OUT = "aged_out"
EXCLUDED_ENROLMENT = "excluded_enrolment"
ELIGIBILITY_REASONS = (TOO_YOUNG, AGED_OUT, EXCLUDED_ENROLMENT)


@dataclass(frozen=True)
class EligibilityWindow:
    """The days a child may attend under a policy, both ends included.

    national_last_day is the national end (two days before the 3rd birthday) even when the
    policy extends eligibility: days after it are ward-extension days, which national buckets
    do not fund.
    """

    first_day: date
    last_day: date
    national_last_day: date

    def contains(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


@dataclass(frozen=True)
class Eligibility:
    ok: bool
    reason_code: str | None = None


def national_last_day(birth: date) -> date:
    """The last day a child is under 3: the day before the day age 3 is reached.

    Born 2024-04-10: age 3 is reached on 2027-04-09, so the last day is 2027-04-08 (two days
    before the birthday). Born 2024-02-29: 3 is reached on 2027-02-28, the last day is 27 Feb.
    """
    return reaches_age_on(birth, 3) - ONE_DAY


def eligibility_window(birth: date, policy: Policy) -> EligibilityWindow:
    """First and last eligible day for a child born on `birth` under `policy`.

    First day: the day the child reaches `policy.min_age_months` months (born 2025-04-10,
    six months: 2025-10-09; born 2025-08-31: 2026-02-28, as February has no 31st). Last day:
    the national last day, or with FISCAL_YEAR_END_AGE_3 the 31 March ending the fiscal year
    that holds the day the child reaches 3 (born 2023-04-01 reaches 3 on 2026-03-31, so the
    last day is 2026-03-31; born 2023-04-02 reaches 3 on 2026-04-01, so 2027-03-31).
    """
    require_date(birth, "birth")
    first = max(birth, reaches_months_on(birth, policy.min_age_months))
    national = national_last_day(birth)
    if policy.eligibility_end is EligibilityEnd.FISCAL_YEAR_END_AGE_3:
        last = fiscal_year_bounds(fiscal_year_of(reaches_age_on(birth, 3)))[1]
    else:
        last = national
    return EligibilityWindow(first_day=first, last_day=last, national_last_day=national)


def eligibility_on(
    birth: date, on: date, policy: Policy, enrolments: Iterable[Enrolment] = ()
) -> Eligibility:
    """Whether a child may attend on day `on` (which must lie in the policy's fiscal year).

    `enrolments` are the child's other enrolments on that day. Age is checked before
    enrolments, so a child both too old and enrolled elsewhere is reported as aged out.
    """
    require_date(birth, "birth")
    policy.check_date(on, "on")
    if birth > on:
        raise RuleError("birth_after_date", f"Birth date {birth} is after {on}.")
    try:
        enrolled = {Enrolment(e) for e in enrolments}
    except ValueError as exc:
        raise RuleError("value_invalid", f"Unknown enrolment in {enrolments!r}.") from exc
    window = eligibility_window(birth, policy)
    if on < window.first_day:
        return Eligibility(False, TOO_YOUNG)
    if on > window.last_day:
        return Eligibility(False, AGED_OUT)
    if enrolled & policy.excluded_enrolments:
        return Eligibility(False, EXCLUDED_ENROLMENT)
    return Eligibility(True, None)
