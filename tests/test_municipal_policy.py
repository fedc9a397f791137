"""The database's policy rows and the pure rules agree."""

import datetime as dt

import pytest

from tests import factories as f
from tsuen import rules
from tsuen.families.models import FeeClass
from tsuen.municipalities.models import EligibilityEnd, MunicipalPolicy, policy_for

pytestmark = pytest.mark.django_db


def test_choices_mirror_the_rules_enums():
    assert set(FeeClass.values) == {str(c) for c in rules.FeeClass}
    assert set(EligibilityEnd.values) == {str(e) for e in rules.EligibilityEnd}


def test_national_default_round_trips_through_the_database():
    muni = f.municipality()
    original = rules.national_default_policy(2026)
    MunicipalPolicy.from_rules(muni, original, dt.date(2026, 4, 1)).save()
    assert policy_for(muni.pk, dt.date(2026, 11, 26)).to_rules() == original


def test_policy_in_force_is_the_latest_version_of_that_fiscal_year():
    muni = f.municipality()
    base = rules.national_default_policy(2026)
    MunicipalPolicy.from_rules(muni, base, dt.date(2026, 4, 1)).save()
    later = MunicipalPolicy.from_rules(muni, base, dt.date(2026, 10, 1))
    later.free_for_residents = True
    later.save()
    assert not policy_for(muni.pk, dt.date(2026, 9, 30)).free_for_residents
    assert policy_for(muni.pk, dt.date(2026, 10, 1)).free_for_residents
    with pytest.raises(MunicipalPolicy.DoesNotExist):
        policy_for(muni.pk, dt.date(2027, 4, 1))  # FY2027 has no policy yet


def test_contradictory_policy_row_is_refused_by_the_rules():
    muni = f.municipality()
    row = MunicipalPolicy.from_rules(muni, rules.national_default_policy(2026), dt.date(2026, 4, 1))
    row.caps = [{"period": "month", "limit_minutes": 1200}]  # 20 h but buckets fund only 10 h
    with pytest.raises(rules.RuleError) as caught:
        row.to_rules()
    assert caught.value.code == "policy_buckets_do_not_cover_caps"


def test_a_new_row_defaults_to_the_national_policy():
    row = MunicipalPolicy(
        municipality=f.municipality(), fiscal_year=2026, effective_from=dt.date(2026, 4, 1)
    )
    assert row.to_rules() == rules.national_default_policy(2026)


def test_a_bucket_with_its_own_prices_round_trips_through_the_database():
    muni = f.municipality()
    own = rules.BenefitRates(
        base_per_hour={0: 2000, 1: 1800, 2: 1600}, adders_per_hour={"disability": 500}
    )
    original = rules.Policy(
        2026,
        caps=(rules.Cap(rules.Period.MONTH, 1200),),
        buckets=(
            rules.FundingBucket("national", rules.Period.MONTH, 600, national=True),
            rules.FundingBucket("ward", rules.Period.MONTH, None, national=False, rates=own),
        ),
    )
    MunicipalPolicy.from_rules(muni, original, dt.date(2026, 4, 1)).save()
    row = policy_for(muni.pk, dt.date(2026, 5, 1))
    assert "rates" not in row.buckets[0]
    assert row.buckets[1]["rates"]["base_per_hour"] == {"0": 2000, "1": 1800, "2": 1600}
    assert row.to_rules() == original
    assert row.to_rules().buckets[1].rates.base_per_hour[2] == 1600


def test_bucket_prices_missing_an_age_class_are_refused_by_the_rules():
    muni = f.municipality()
    row = MunicipalPolicy.from_rules(muni, rules.national_default_policy(2026), dt.date(2026, 4, 1))
    row.buckets = [
        *row.buckets,
        {
            "payer": "ward",
            "period": "month",
            "limit_minutes": None,
            "national": False,
            "rates": {"base_per_hour": {"0": 1, "1": 1}, "adders_per_hour": {}},
        },
    ]
    with pytest.raises(rules.RuleError) as caught:
        row.to_rules()
    assert caught.value.code == "rates_invalid"


def test_the_booking_page_reads_the_rules_of_the_row_as_it_is_now():
    """The booking page reads each child with its ward's policy row on the day (one JSON
    record, a subquery), and keeps the rules it built by the row's values: a row edited in place
    (no editor does that, but nothing in the database forbids it) is answered with its new
    rules, the same values with the same object, and an invalid row with none. Every column the
    rules read comes back as the ORM reads it (dates, times, booleans, JSON) on both
    databases."""
    from tsuen.booking.services import _ward_policy, bookable_children
    from tsuen.municipalities.models import rules_of_record

    muni = f.municipality()
    user, _household, _child = f.family(muni)
    day = dt.date(2026, 11, 26)

    def read() -> rules.Policy | None:
        [child] = bookable_children(user, day, audit=False)
        return _ward_policy(child)

    assert read() is None  # the ward has set no policy: the caller takes the national one
    rules_of_record.cache_clear()
    row = MunicipalPolicy.from_rules(muni, rules.national_default_policy(2026), dt.date(2026, 4, 1))
    row.save()
    first = read()
    assert first == policy_for(muni.pk, day).to_rules() == rules.national_default_policy(2026)
    assert read() is first  # built once
    assert rules_of_record.cache_info().hits == 1

    row.free_for_residents = True
    row.staff_ratios = {"0": 2, "1": 5, "2": 5}  # a JSON column
    row.cancel_deadline_time = dt.time(17, 30)
    row.save()
    edited = read()
    assert edited.free_for_residents and edited.staff_ratios == {0: 2, 1: 5, 2: 5}
    assert edited.cancel_deadline_time == dt.time(17, 30)
    assert edited == policy_for(muni.pk, day).to_rules()

    later = MunicipalPolicy.from_rules(muni, edited, dt.date(2026, 11, 27))  # not yet in force
    later.billing_step_minutes = 60
    later.save()
    assert read() == edited

    row.caps = [{"period": "month", "limit_minutes": 1200}]  # more than the buckets fund
    row.save()
    assert read() is None  # as rules_for(..., default=False): refused
