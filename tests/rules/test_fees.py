import pytest
from hypothesis import given
from hypothesis import strategies as st

from tsuen.rules import FeeBreakdown, FeeClass, Policy, RuleError, pro_rata, user_fee

from .factories import PROPERTY

POLICY = Policy(2026)
FREE = Policy(2026, free_for_residents=True)


def fee(minutes, fee_class=FeeClass.NONE, per_hour=300, policy=POLICY, resident=True):
    return user_fee(minutes, per_hour, fee_class, policy, resident)


@pytest.mark.parametrize(("minutes", "gross"), [(60, 300), (90, 450), (120, 600), (600, 3000)])
def test_standard_fee_is_300_yen_an_hour_and_150_per_extra_half_hour(minutes, gross):
    assert fee(minutes) == FeeBreakdown(gross, 0, gross, 0, 0)


@pytest.mark.parametrize(
    ("fee_class", "sixty", "ninety"),
    [
        (FeeClass.NONE, (300, 0, 300), (450, 0, 450)),
        (FeeClass.PUBLIC_ASSISTANCE, (300, 300, 0), (450, 450, 0)),
        (FeeClass.TAX_EXEMPT, (300, 240, 60), (450, 360, 90)),
        (FeeClass.LOW_INCOME, (300, 210, 90), (450, 315, 135)),
        (FeeClass.SUPPORT_NEEDED, (300, 150, 150), (450, 225, 225)),
    ],
)
def test_reductions_by_fee_class(fee_class, sixty, ninety):
    for minutes, (gross, reduction, net) in ((60, sixty), (90, ninety)):
        result = fee(minutes, fee_class)
        assert (result.gross, result.reduction, result.net) == (gross, reduction, net)
        assert result.class_reduction == reduction and result.resident_waiver == 0


def test_fee_class_may_be_given_as_the_stored_string():
    assert fee(60, "tax_exempt").net == 60


def test_a_reduction_never_exceeds_the_fee():
    result = fee(90, FeeClass.PUBLIC_ASSISTANCE, per_hour=200)
    assert result == FeeBreakdown(
        gross=300, reduction=300, net=0, class_reduction=300, resident_waiver=0
    )
    result = fee(60, FeeClass.TAX_EXEMPT, per_hour=100)
    assert (result.gross, result.reduction, result.net) == (100, 100, 0)


def test_a_free_facility_charges_nothing():
    assert fee(60, FeeClass.PUBLIC_ASSISTANCE, per_hour=0) == FeeBreakdown(0, 0, 0, 0, 0)


def test_free_for_residents():
    result = fee(90, FeeClass.TAX_EXEMPT, policy=FREE, resident=True)
    assert result == FeeBreakdown(
        gross=450, reduction=450, net=0, class_reduction=360, resident_waiver=90
    )
    assert fee(90, FeeClass.NONE, policy=FREE, resident=True).resident_waiver == 450
    # A child from another municipality pays as usual.
    assert fee(90, FeeClass.TAX_EXEMPT, policy=FREE, resident=False) == FeeBreakdown(
        450, 360, 90, 360, 0
    )


def test_amounts_are_rounded_down_to_the_yen():
    # 301 yen for 90 minutes is 451.5 yen; 210 yen for 61 minutes is 213.5 yen.
    assert fee(90, per_hour=301).gross == 451
    result = fee(61, FeeClass.LOW_INCOME, per_hour=301)
    assert (result.gross, result.reduction, result.net) == (306, 213, 93)


def test_reductions_are_a_setting():
    policy = Policy(2026, reductions_per_hour={FeeClass.TAX_EXEMPT: 100})
    assert fee(60, FeeClass.TAX_EXEMPT, policy=policy).net == 200
    assert fee(60, FeeClass.PUBLIC_ASSISTANCE, policy=policy).net == 300


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ((0, 300, FeeClass.NONE, POLICY, True), "visit_minutes_not_positive"),
        ((-60, 300, FeeClass.NONE, POLICY, True), "visit_minutes_not_positive"),
        ((60.0, 300, FeeClass.NONE, POLICY, True), "value_invalid"),
        ((60, -1, FeeClass.NONE, POLICY, True), "fee_negative"),
        ((60, 300.0, FeeClass.NONE, POLICY, True), "value_invalid"),
        ((60, True, FeeClass.NONE, POLICY, True), "value_invalid"),
        ((60, 300, "rich", POLICY, True), "value_invalid"),
        ((60, 300, FeeClass.NONE, POLICY, "yes"), "value_invalid"),
    ],
)
def test_bad_fee_inputs(args, code):
    with pytest.raises(RuleError) as err:
        user_fee(*args)
    assert err.value.code == code


@PROPERTY
@given(
    st.integers(1, 1440),
    st.integers(0, 5000),
    st.sampled_from(list(FeeClass)),
    st.booleans(),
    st.booleans(),
    st.dictionaries(st.sampled_from(list(FeeClass)[1:]), st.integers(0, 3000)),
)
def test_fee_is_never_negative_and_net_never_above_gross(
    minutes, per_hour, fee_class, free, resident, reductions
):
    policy = Policy(2026, free_for_residents=free, reductions_per_hour=reductions)
    result = user_fee(minutes, per_hour, fee_class, policy, resident)
    assert 0 <= result.net <= result.gross
    assert 0 <= result.reduction <= result.gross
    assert result.gross - result.reduction == result.net
    assert result.reduction == result.class_reduction + result.resident_waiver
    assert result.gross == per_hour * minutes // 60
    if free and resident:
        assert result.net == 0
    else:
        assert result.resident_waiver == 0


@pytest.mark.parametrize(("per_hour", "minutes"), [(-1, 60), (300, -1), (300.0, 60), (300, True)])
def test_pro_rata_takes_whole_non_negative_numbers(per_hour, minutes):
    with pytest.raises(RuleError) as err:
        pro_rata(per_hour, minutes)
    assert err.value.code == "value_invalid"


def test_pro_rata_rounds_down():
    assert pro_rata(300, 90) == 450
    assert pro_rata(1700, 61) == 1728
    assert pro_rata(1, 59) == 0
