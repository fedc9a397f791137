"""Yen arithmetic shared by fees and benefits.

Every amount is whole yen. An hourly rate is applied pro rata by minutes and the result is
rounded down to the yen (円未満切り捨て, the rule of 国等の債権債務等の金額の端数計算に関する法律),
once per amount per visit. Integer arithmetic only: no floats ever touch money.
"""

from .errors import RuleError


def pro_rata(per_hour: int, minutes: int) -> int:
    """`per_hour` yen for `minutes` minutes, rounded down: 300 yen for 90 minutes is 450."""
    for value in (per_hour, minutes):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise RuleError("value_invalid", f"Yen and minutes must be whole and >= 0: {value!r}.")
    return per_hour * minutes // 60
