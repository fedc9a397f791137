"""The retention schedule as pure functions (no Django, no clock): which records have expired.

The council's checklist (item 3) sets the defaults, docs/data-inventory.md names the rules:

* payment-linked records (applications, certifications, bookings with their attendance,
  household fee classes, a facility's claims as whole correction chains) are kept for 5 years
  after the end of the fiscal year (31 March) in which the record closed;
* care records (daily records, morning notes, growth records, emergency contacts, waitlist and
  regular-use requests, doctors' certificates, and the care fields on the child's row, erased
  while the household stays) for N months after the child's eligibility ends -- tsuen's
  default N is 12;
* uploaded fee-class evidence for 1 year (12 months) after the ward verified it (decided the
  application it came with);
* a closed log-in account (``account``) is anonymised 12 months after a staff account was
  deactivated, and a family's account with its household (the household waits for the
  longer of the two periods since its guardians' last sign-in); an invitation (staff or
  proxy: it holds an address) is deleted 12 months after it was used, withdrawn or expired;
* a household itself (its guardians, children, proxies, files) while any payment-linked or care
  record of it is kept; once none is left, it goes when its children's eligibility ended (or
  never began), it was registered and none of its guardians signed in for N months (12).

A ward may lengthen a period, never shorten it below the default.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class Unit(StrEnum):
    YEARS_AFTER_FISCAL_YEAR = "fiscal_years"
    MONTHS = "months"


class RecordClass(StrEnum):
    CERTIFICATIONS = "certifications"
    APPLICATIONS = "applications"
    BOOKINGS = "bookings"
    FEE_CLASSES = "fee_classes"
    CARE_RECORDS = "care_records"
    EVIDENCE_FILES = "evidence_files"
    CLAIMS = "claims"
    HOUSEHOLDS = "households"
    ACCOUNTS = "accounts"


@dataclass(frozen=True)
class Default:
    period: int
    unit: Unit
    #: The rule of docs/data-inventory.md it applies.
    rule: str
    #: The longest period a ward may set (a typing error of 500 years is refused).
    maximum: int


DEFAULTS: dict[RecordClass, Default] = {
    RecordClass.CERTIFICATIONS: Default(5, Unit.YEARS_AFTER_FISCAL_YEAR, "payment_5y", 30),
    RecordClass.APPLICATIONS: Default(5, Unit.YEARS_AFTER_FISCAL_YEAR, "payment_5y", 30),
    RecordClass.BOOKINGS: Default(5, Unit.YEARS_AFTER_FISCAL_YEAR, "payment_5y", 30),
    RecordClass.FEE_CLASSES: Default(5, Unit.YEARS_AFTER_FISCAL_YEAR, "payment_5y", 30),
    RecordClass.CLAIMS: Default(5, Unit.YEARS_AFTER_FISCAL_YEAR, "payment_5y", 30),
    RecordClass.CARE_RECORDS: Default(12, Unit.MONTHS, "care_record", 360),
    RecordClass.EVIDENCE_FILES: Default(12, Unit.MONTHS, "certificate_image_1y", 360),
    RecordClass.HOUSEHOLDS: Default(12, Unit.MONTHS, "family_record", 360),
    RecordClass.ACCOUNTS: Default(12, Unit.MONTHS, "account", 360),
}


def fiscal_year_end(day: dt.date) -> dt.date:
    """The last day (31 March) of the Japanese fiscal year that contains ``day``."""
    return dt.date(day.year if day.month <= 3 else day.year + 1, 3, 31)


def payment_cutoff(today: dt.date, years: int) -> dt.date:
    """The last closing day whose record has expired on ``today``: a record closed on ``d`` is
    kept until ``years`` years after the end of d's fiscal year, and may go the day after.

    >>> payment_cutoff(dt.date(2032, 4, 1), 5)   # FY2026 ended 2027-03-31, kept until 2032-03-31
    datetime.date(2027, 3, 31)
    """
    last_ended = fiscal_year_end(today)
    if last_ended >= today:  # the current fiscal year has not ended: the one before it
        last_ended = dt.date(last_ended.year - 1, 3, 31)
    return dt.date(last_ended.year - years, 3, 31)


def months_before(day: dt.date, months: int) -> dt.date:
    """``day`` moved back ``months`` months (the 31st becomes the month's last day)."""
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    for candidate in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def months_cutoff(today: dt.date, months: int) -> dt.date:
    """The last day whose record has expired on ``today``: kept for ``months`` whole months
    after the day it closed, it may go once those months have passed."""
    return months_before(today, months) - dt.timedelta(days=1)


def cutoff(record_class: RecordClass, today: dt.date, period: int) -> dt.date:
    """Records of ``record_class`` that closed on or before this day have expired."""
    if DEFAULTS[record_class].unit is Unit.YEARS_AFTER_FISCAL_YEAR:
        return payment_cutoff(today, period)
    return months_cutoff(today, period)


def check_period(record_class: RecordClass, period: int) -> str | None:
    """None when ``period`` may be set, else the reason as a code: ``too_short`` (below the
    council's default) or ``too_long``."""
    default = DEFAULTS[record_class]
    if period < default.period:
        return "too_short"
    if period > default.maximum:
        return "too_long"
    return None
