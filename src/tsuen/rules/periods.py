"""Calendar arithmetic: legal month periods, fiscal years (年度) and cap periods.

The legal period rule (民法 第143条, applied to ages by 年齢計算ニ関スル法律) is the base of the
age, eligibility and "six months without use" rules, so it lives here once.
"""

import calendar
from datetime import date, datetime, timedelta
from enum import StrEnum

from .errors import RuleError, require_int

ONE_DAY = timedelta(days=1)


class Period(StrEnum):
    """The stretch of time a cap or a funding bucket counts over."""

    MONTH = "month"  # a calendar month
    FISCAL_YEAR = "fiscal_year"  # 年度: 1 April to 31 March


def require_date(value: object, what: str) -> date:
    """Return `value` if it is a date (and not a datetime), else raise value_invalid."""
    if not isinstance(value, date) or isinstance(value, datetime):
        raise RuleError("value_invalid", f"{what} must be a date, got {value!r}.")
    return value


def _shift_month(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def period_end(first_day: date, months: int) -> date:
    """The last day of a period of `months` months whose first day is `first_day`.

    民法 第143条第2項: the period ends on the day before the day of the last month that
    corresponds to the first day (応当日); if the last month has no such day (31 August plus six
    months), it ends on the last day of that month. `months=0` gives the day before
    `first_day` (an empty period). Used with the birth date as first day this is the day an age
    is reached (年齢計算ニ関スル法律 counts the day of birth as the first day).
    """
    require_date(first_day, "first_day")
    require_int(months, "value_invalid", "months")
    if months < 0:
        raise RuleError("age_negative", f"A period of {months} months cannot be counted.")
    try:
        if months == 0:
            return first_day - ONE_DAY
        year, month = _shift_month(first_day.year, first_day.month, months)
        if not 1 <= year <= 9999:
            raise OverflowError
        last_day = calendar.monthrange(year, month)[1]
        if first_day.day > last_day:
            return date(year, month, last_day)
        return date(year, month, first_day.day) - ONE_DAY
    except (OverflowError, ValueError) as exc:
        raise RuleError(
            "date_out_of_range", f"{months} months from {first_day} is outside the calendar."
        ) from exc


def check_fiscal_year(fiscal_year: object) -> int:
    fy = require_int(fiscal_year, "fiscal_year_invalid", "fiscal_year")
    if not 1 <= fy <= 9998:
        raise RuleError("fiscal_year_invalid", f"Fiscal year {fy} is outside 1..9998.")
    return fy


def fiscal_year_of(day: date) -> int:
    """The fiscal year (年度) a day belongs to: FY2026 is 2026-04-01 to 2027-03-31."""
    require_date(day, "day")
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_bounds(fiscal_year: int) -> tuple[date, date]:
    """First and last day of a fiscal year."""
    fy = check_fiscal_year(fiscal_year)
    return date(fy, 4, 1), date(fy + 1, 3, 31)


def month_bounds(day: date) -> tuple[date, date]:
    """First and last day of the calendar month of `day`."""
    require_date(day, "day")
    last = calendar.monthrange(day.year, day.month)[1]
    return day.replace(day=1), day.replace(day=last)


def period_bounds(period: Period, day: date) -> tuple[date, date]:
    """First and last day of the cap or bucket period that contains `day`."""
    if Period(period) is Period.MONTH:
        return month_bounds(day)
    return fiscal_year_bounds(fiscal_year_of(day))
