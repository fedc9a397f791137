"""Benefit rates paid to facilities (乳児等支援給付 / 補助), as data keyed by fiscal year.

Amounts are whole yen per child-hour, except the first-visit adder (初回対応加算), which is a
flat amount per first visit. Top-up payers (a ward, Tokyo's programme) may have their own
`BenefitRates` on their funding bucket.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from .errors import RuleError
from .periods import check_fiscal_year

AGE_CLASSES = (0, 1, 2)


class Adder(StrEnum):
    """Per-hour adders (加算) a child can carry."""

    DISABILITY = "disability"  # 障害児
    MEDICAL_CARE = "medical_care"  # 医療的ケア児
    SUPPORT_NEEDED_FAMILY = "support_needed_family"  # 要支援家庭


def _amount(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RuleError("rates_invalid", f"{what} must be a whole number of yen >= 0.")
    return value


def _by_class(table: Mapping[int, int], what: str) -> Mapping[int, int]:
    if not isinstance(table, Mapping) or set(table) != set(AGE_CLASSES):
        raise RuleError("rates_invalid", f"{what} needs exactly the age classes 0, 1 and 2.")
    return MappingProxyType({k: _amount(table[k], f"{what}[{k}]") for k in AGE_CLASSES})


@dataclass(frozen=True)
class BenefitRates:
    """One payer's rates for one fiscal year.

    base_per_hour: yen per child-hour by age class (0, 1, 2).
    adders_per_hour: yen per child-hour for each Adder; a missing adder pays nothing.
    first_visit: flat yen by age class for 初回対応加算, or None when the payer has no such
        adder that year.
    """

    base_per_hour: Mapping[int, int] = field(hash=False)
    adders_per_hour: Mapping[Adder, int] = field(hash=False)
    first_visit: Mapping[int, int] | None = field(default=None, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_per_hour", _by_class(self.base_per_hour, "base_per_hour"))
        if not isinstance(self.adders_per_hour, Mapping):
            raise RuleError("rates_invalid", "adders_per_hour must be a mapping.")
        adders: dict[Adder, int] = {}
        for key, value in self.adders_per_hour.items():
            try:
                adder = Adder(key)
            except ValueError as exc:
                raise RuleError("rates_invalid", f"Unknown adder {key!r}.") from exc
            adders[adder] = _amount(value, f"adders_per_hour[{adder}]")
        object.__setattr__(self, "adders_per_hour", MappingProxyType(adders))
        if self.first_visit is not None:
            object.__setattr__(self, "first_visit", _by_class(self.first_visit, "first_visit"))

    def adder_per_hour(self, adder: Adder) -> int:
        return self.adders_per_hour.get(adder, 0)


# The national table. Our source gives no first-visit adder for FY2025, so that year records
# None ("no such adder") rather than a guess.
NATIONAL_RATES: Mapping[int, BenefitRates] = MappingProxyType(
    {
        2025: BenefitRates(
            base_per_hour={0: 1300, 1: 1100, 2: 900},
            adders_per_hour={
                Adder.DISABILITY: 400,
                Adder.MEDICAL_CARE: 2400,
                Adder.SUPPORT_NEEDED_FAMILY: 400,
            },
            first_visit=None,
        ),
        2026: BenefitRates(
            base_per_hour={0: 1700, 1: 1400, 2: 1400},
            adders_per_hour={
                Adder.DISABILITY: 600,
                Adder.MEDICAL_CARE: 2500,
                Adder.SUPPORT_NEEDED_FAMILY: 600,
            },
            first_visit={0: 1700, 1: 1400, 2: 1400},
        ),
    }
)


def national_rates(fiscal_year: int) -> BenefitRates:
    """The national rate table for a fiscal year; RuleError if the year is not in the table."""
    fy = check_fiscal_year(fiscal_year)
    try:
        return NATIONAL_RATES[fy]
    except KeyError:
        raise RuleError(
            "rates_unknown_fiscal_year", f"No national benefit rates are known for FY{fy}."
        ) from None
