"""Ages under 年齢計算ニ関スル法律 and the age class (クラス年齢).

The law counts the day of birth as the first day and applies 民法 第143条: age n is reached at
the end (24:00) of the day before the n-th birthday. Japanese law then treats that whole day as
the day the age is reached (満n歳に達する日), so a person *is* n on it: this is why a child born
2024-04-10 is no longer "under 3" on 2027-04-09 and may attend only until 2027-04-08, and why a
child born on 1 April joins the older school year.

Throughout tsuen, "age on day d" means the age reached on or before d:
    age_on(birth, d) = the largest n with reaches_age_on(birth, n) <= d.
"""

from datetime import date

from .errors import RuleError, require_int
from .periods import check_fiscal_year, fiscal_year_bounds, period_end, require_date


def reaches_age_on(birth: date, years: int) -> date:
    """The day on which a person born on `birth` reaches `years` years (満n歳に達する日).

    It is the day before the birthday; for a 29 February birth in a common year the period
    ends on the last day of February, so the age is reached on 28 February. `years=0` gives the
    day before birth (age 0 is reached as the birth day begins).
    """
    require_date(birth, "birth")
    years = require_int(years, "value_invalid", "years")
    if years < 0:
        raise RuleError("age_negative", f"An age of {years} years cannot be reached.")
    return period_end(birth, 12 * years)


def reaches_months_on(birth: date, months: int) -> date:
    """The day on which a child born on `birth` reaches `months` months (生後nか月に達する日).

    Same law as years: born 2025-04-10 reaches 6 months on 2025-10-09; born 31 August the
    sixth month (February) has no 31st, so the period ends, and 6 months is reached, on the
    last day of February.
    """
    require_date(birth, "birth")
    months = require_int(months, "value_invalid", "months")
    if months < 0:
        raise RuleError("age_negative", f"An age of {months} months cannot be reached.")
    return period_end(birth, months)


def _check_not_before_birth(birth: date, on: date) -> None:
    require_date(birth, "birth")
    require_date(on, "on")
    if birth > on:
        raise RuleError("birth_after_date", f"Birth date {birth} is after {on}.")


def age_in_months_on(birth: date, on: date) -> int:
    """Whole months of age on day `on`: the largest m with reaches_months_on(birth, m) <= on."""
    _check_not_before_birth(birth, on)
    months = (on.year - birth.year) * 12 + (on.month - birth.month)
    # The estimate is off by at most one either way; step to the exact value.
    while months > 0 and reaches_months_on(birth, months) > on:
        months -= 1
    while reaches_months_on(birth, months + 1) <= on:
        months += 1
    return months


def age_on(birth: date, on: date) -> int:
    """Whole years of age on day `on`: the largest n with reaches_age_on(birth, n) <= on."""
    return age_in_months_on(birth, on) // 12


def age_class(birth: date, fiscal_year: int) -> int:
    """The age class (クラス年齢) of a child for a fiscal year.

    It is the age reached by 31 March, the day before the fiscal year begins. A child born on
    1 April reaches each age on 31 March and so joins the older class; one born on 2 April the
    younger (for FY2026 the 0-year class is children born 2025-04-02 or later). A child born
    during the fiscal year is in class 0.
    """
    require_date(birth, "birth")
    fy = check_fiscal_year(fiscal_year)
    _, last = fiscal_year_bounds(fy)
    if birth > last:
        raise RuleError("birth_after_date", f"Birth date {birth} is after fiscal year {fy}.")
    eve = date(fy, 3, 31)
    if birth > eve:
        return 0
    return age_on(birth, eve)
