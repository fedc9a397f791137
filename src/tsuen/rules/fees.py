"""The fee a family pays the facility for one visit (利用者負担)."""

from dataclasses import dataclass

from .errors import RuleError
from .money import pro_rata
from .policy import FeeClass, Policy


@dataclass(frozen=True)
class FeeBreakdown:
    """One visit's fee in whole yen: net = gross - reduction, never below zero.

    reduction = class_reduction (the household's fee class, reimbursed to the facility) plus
    resident_waiver (the rest of the fee, when the municipality makes it free for residents).
    """

    gross: int
    reduction: int
    net: int
    class_reduction: int
    resident_waiver: int


def user_fee(
    minutes: int, fee_per_hour: int, fee_class: FeeClass, policy: Policy, resident: bool
) -> FeeBreakdown:
    """The family's fee for a visit of `minutes` billed minutes.

    gross: the facility's fee per hour pro rata by minutes (300 yen an hour is 150 yen per
    extra 30 minutes). class_reduction: the policy's reduction per hour for `fee_class`, pro
    rata, never more than gross. With `free_for_residents`, a resident's whole fee is reduced.
    Each amount is rounded down to the yen.
    """
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise RuleError("value_invalid", f"Minutes must be a whole number: {minutes!r}.")
    if minutes <= 0:
        raise RuleError("visit_minutes_not_positive", f"A visit needs minutes above 0: {minutes}.")
    if isinstance(fee_per_hour, bool) or not isinstance(fee_per_hour, int):
        raise RuleError("value_invalid", f"The fee must be whole yen: {fee_per_hour!r}.")
    if fee_per_hour < 0:
        raise RuleError("fee_negative", f"A fee per hour cannot be negative: {fee_per_hour}.")
    try:
        fee_class = FeeClass(fee_class)
    except ValueError:
        raise RuleError("value_invalid", f"Unknown fee class {fee_class!r}.") from None
    if not isinstance(resident, bool):
        raise RuleError("value_invalid", f"resident must be True or False: {resident!r}.")
    gross = pro_rata(fee_per_hour, minutes)
    class_reduction = min(pro_rata(policy.reduction_per_hour(fee_class), minutes), gross)
    waiver = gross - class_reduction if policy.free_for_residents and resident else 0
    reduction = class_reduction + waiver
    return FeeBreakdown(
        gross=gross,
        reduction=reduction,
        net=gross - reduction,
        class_reduction=class_reduction,
        resident_waiver=waiver,
    )
