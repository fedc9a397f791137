"""The monthly claim, line by line against the FY2026 national table.

FY2026 per hour: class 0 1,700 yen, classes 1-2 1,400; adders disability 600, medical care
2,500, support-needed family 600; first visit (flat) 1,700 / 1,400.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import translation

from tests import factories as f
from tests.billing import scene as s
from tsuen.billing import services
from tsuen.billing.models import Claim, ClaimImmutable, ClaimLine, ClaimStatus
from tsuen.core import clock

pytestmark = pytest.mark.django_db
NOV = (2026, 11)


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests read the pages and refusals in English (Japanese is the default; the
    catalogue test proves every string has its Japanese)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def world():
    ward = s.ward()
    facility = f.facility(ward, fee_per_hour=300)
    other_facility = f.facility(ward)
    manager = s.manager_of(facility)
    return ward, facility, other_facility, manager


def _line(claim, day):
    return ClaimLine.objects.get(claim=claim, date=day)


def _generate(manager):
    with clock.frozen(s.NOW):
        return services.generate_claims(manager, *NOV)


def test_class_0_crosses_from_national_into_tokyo_bucket_across_facilities(world):
    ward, facility, other, manager = world
    _, household, child = f.family(ward, birth_date=dt.date(2025, 6, 1))  # class 0
    s.fee_class(household, "tax_exempt")
    f.interview(
        child, facility, household.guardians.first().user, held_minutes=30, follow_up_recorded=True
    )
    s.visit(child, other, dt.date(2026, 11, 2), dt.time(10), dt.time(11))  # 60 min elsewhere
    for day in (4, 5, 6, 9):
        s.visit(child, facility, dt.date(2026, 11, day))  # 4 x 120 = 480 (540 in the month)
    s.visit(child, facility, dt.date(2026, 11, 10))  # 60 national + 60 Tokyo

    [claim] = _generate(manager)
    assert claim.paying_municipality == ward
    first = _line(claim, dt.date(2026, 11, 4))
    assert first.age_class == 0
    assert first.bucket_shares == [
        {"payer": "national", "minutes": 120, "base": 3400, "adders": 0, "first_visit": 1700}
    ]
    assert first.first_visit_amount == 1700  # the first visit only
    assert first.reduction_reimbursed == 480  # tax exempt: 240 yen/h x 2 h
    assert first.total == 3400 + 1700 + 480
    for day in (5, 6, 9):
        line = _line(claim, dt.date(2026, 11, day))
        assert (line.base_amount, line.first_visit_amount, line.total) == (3400, 0, 3880)
    crossing = _line(claim, dt.date(2026, 11, 10))
    assert crossing.bucket_shares == [
        {"payer": "national", "minutes": 60, "base": 1700, "adders": 0, "first_visit": 0},
        {"payer": "tokyo", "minutes": 60, "base": 1700, "adders": 0, "first_visit": 0},
    ]
    assert crossing.total == 3400 + 480
    assert claim.lines.count() == 5  # the visit at the other facility is not claimed here
    lines = list(claim.lines.all())
    assert services.totals_by_payer(lines) == {"national": 4 * 3400 + 1700 + 1700, "tokyo": 1700}
    assert claim.total_benefit == 5 * 3400 + 1700
    assert claim.total_reduction_reimbursed == 5 * 480


def test_class_2_with_each_adder(world):
    ward, facility, _, manager = world
    _, household, child = f.family(
        ward, birth_date=dt.date(2024, 2, 1), disability=True, medical_care=True
    )
    household.support_needed = True
    household.save()
    s.visit(child, facility, dt.date(2026, 11, 12), dt.time(10), dt.time(11, 30))  # 90 min

    [claim] = _generate(manager)
    line = _line(claim, dt.date(2026, 11, 12))
    assert line.age_class == 2
    assert line.billable_minutes == 90
    assert line.base_amount == 2100  # 1,400 x 1.5
    assert line.adders == {"disability": 900, "medical_care": 3750, "support_needed_family": 900}
    assert line.bucket_shares[0]["adders"] == 5550
    assert line.first_visit_amount == 0  # no interview recorded
    assert line.reduction_reimbursed == 0  # fee class none
    assert line.fee_gross == line.fee_net == 450
    assert line.total == 2100 + 5550


def test_support_needed_fee_class_gives_the_adder_and_its_reduction(world):
    ward, facility, _, manager = world
    _, household, child = f.family(ward)  # class 1
    s.fee_class(household, "support_needed")
    s.visit(child, facility, dt.date(2026, 11, 12), dt.time(10), dt.time(11))
    [claim] = _generate(manager)
    line = _line(claim, dt.date(2026, 11, 12))
    assert (line.age_class, line.base_amount) == (1, 1400)
    assert line.adders == {"support_needed_family": 600}
    assert line.reduction_reimbursed == 150
    assert line.total == 1400 + 600 + 150


def test_late_pick_up_bills_the_real_time(world):
    ward, facility, _, manager = world
    _, _, child = f.family(ward)
    s.visit(child, facility, dt.date(2026, 11, 12), dt.time(10), dt.time(11), out=dt.time(11, 5))
    [claim] = _generate(manager)
    line = _line(claim, dt.date(2026, 11, 12))
    assert line.billable_minutes == 90
    assert line.base_amount == 2100


def test_first_visit_adder_needs_the_interview_and_is_due_again_after_six_months(world):
    ward, facility, _, manager = world
    user, _, child = f.family(ward)
    f.interview(child, facility, user, held_minutes=45, follow_up_recorded=True)
    s.visit(child, facility, dt.date(2026, 5, 1), dt.time(10), dt.time(11))  # last use
    s.visit(child, facility, dt.date(2026, 11, 2), dt.time(10), dt.time(11))  # six months on
    s.visit(child, facility, dt.date(2026, 11, 3), dt.time(10), dt.time(11))
    [claim] = _generate(manager)
    assert _line(claim, dt.date(2026, 11, 2)).first_visit_amount == 1400
    assert _line(claim, dt.date(2026, 11, 3)).first_visit_amount == 0


def test_short_interview_earns_no_first_visit_adder(world):
    ward, facility, _, manager = world
    user, _, child = f.family(ward)
    f.interview(child, facility, user, held_minutes=20, follow_up_recorded=True)
    s.visit(child, facility, dt.date(2026, 11, 2), dt.time(10), dt.time(11))
    [claim] = _generate(manager)
    assert _line(claim, dt.date(2026, 11, 2)).first_visit_amount == 0


def test_cross_ward_child_is_claimed_from_its_own_ward(world):
    ward, facility, _, manager = world
    other_ward = s.ward(None)  # national defaults
    _, _, local = f.family(ward)
    _, household, visitor = f.family(other_ward, family_name="越境")
    s.fee_class(household, "public_assistance")
    s.visit(local, facility, dt.date(2026, 11, 5), dt.time(10), dt.time(11))
    s.visit(visitor, facility, dt.date(2026, 11, 5), dt.time(13), dt.time(14))
    claims = {c.paying_municipality_id: c for c in _generate(manager)}
    assert set(claims) == {ward.pk, other_ward.pk}
    [line] = claims[other_ward.pk].lines.all()
    assert line.child == visitor
    assert line.bucket_shares == [
        {"payer": "national", "minutes": 60, "base": 1400, "adders": 0, "first_visit": 0}
    ]
    assert line.reduction_reimbursed == 300
    assert line.total == 1700
    assert [x.child for x in claims[ward.pk].lines.all()] == [local]


@pytest.mark.parametrize(
    ("fee_class", "reduction"),
    [
        ("public_assistance", 300),
        ("tax_exempt", 240),
        ("low_income", 210),
        ("support_needed", 150),
        ("none", 0),
    ],
)
def test_reduction_reimbursed_per_fee_class(world, fee_class, reduction):
    ward, facility, _, manager = world
    _, household, child = f.family(ward)
    s.fee_class(household, fee_class)
    s.visit(child, facility, dt.date(2026, 11, 5), dt.time(10), dt.time(11))
    [claim] = _generate(manager)
    line = claim.lines.get()
    assert line.reduction_reimbursed == reduction
    assert line.fee_net == 300 - reduction


def test_fee_class_valid_on_the_visit_day(world):
    ward, facility, _, manager = world
    _, household, child = f.family(ward)
    row = s.fee_class(household, "tax_exempt")
    row.valid_to = dt.date(2026, 11, 10)
    row.save()
    s.visit(child, facility, dt.date(2026, 11, 5), dt.time(10), dt.time(11))
    s.visit(child, facility, dt.date(2026, 11, 20), dt.time(10), dt.time(11))
    [claim] = _generate(manager)
    assert [x.reduction_reimbursed for x in claim.lines.all()] == [240, 0]


def test_draft_regenerates_and_submitted_claim_is_immutable(world):
    ward, facility, _, manager = world
    _, _, child = f.family(ward)
    s.visit(child, facility, dt.date(2026, 11, 5), dt.time(10), dt.time(11))
    [claim] = _generate(manager)
    s.visit(child, facility, dt.date(2026, 11, 6), dt.time(10), dt.time(11))
    [again] = _generate(manager)
    assert again.pk == claim.pk and again.lines.count() == 2

    with clock.frozen(s.NOW):
        effects = services.submit_effects(manager, claim.pk)
        assert (effects.visits, effects.children) == (2, 1)
        assert effects.total == again.total_benefit + again.total_reduction_reimbursed == 2800
        # Not confirmed, or confirmed for other effects: refused, still a draft.
        for token in (None, "", "other"):
            with pytest.raises(ValidationError):
                services.submit_claim(manager, claim.pk, confirm_token=token)
        assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.DRAFT
        services.submit_claim(manager, claim.pk, confirm_token=effects.token)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED
    claim.total_benefit = 1
    with pytest.raises(ClaimImmutable):
        claim.save()
    line = claim.lines.first()
    line.reduction_reimbursed = 1
    with pytest.raises(ClaimImmutable):
        line.save()
    with pytest.raises(ClaimImmutable):
        Claim.objects.get(pk=claim.pk).delete()
    with pytest.raises(services.ClaimRefused, match="already submitted"):
        _generate(manager)
    claim.refresh_from_db()
    assert claim.total_benefit == 2800 and claim.lines.count() == 2
    # The payment cycle may still move on.
    claim.status = ClaimStatus.APPROVED
    claim.save()


def test_correction_is_a_new_version_showing_the_difference(world):
    ward, facility, _, manager = world
    _, _, child = f.family(ward)
    first = s.visit(child, facility, dt.date(2026, 11, 5), dt.time(10), dt.time(11))
    [claim] = _generate(manager)
    with clock.frozen(s.NOW):
        services.submit_claim(
            manager, claim.pk, confirm_token=services.submit_effects(manager, claim.pk).token
        )
    # The check-out was recorded wrong: the child left at 11:30. A forgotten visit is added.
    first.checked_out_at = first.checked_out_at.replace(hour=11, minute=30)
    if hasattr(first, "billable_minutes"):
        first.billable_minutes = None
    first.save()
    s.visit(child, facility, dt.date(2026, 11, 6), dt.time(10), dt.time(11))
    with clock.frozen(s.NOW):
        correction = services.correct_claim(manager, claim.pk)
    assert (correction.version, correction.supersedes_id) == (2, claim.pk)
    assert correction.status == ClaimStatus.DRAFT
    page = services.claim_page(manager, correction.pk)
    rows = [
        (r["line"].date.day, r["old_total"], r["new_total"], r["difference"])
        for r in page.differences
    ]
    assert rows == [(5, 1400, 2100, 700), (6, 0, 1400, 1400)]
    with pytest.raises(services.ClaimRefused):
        services.correct_claim(manager, claim.pk)  # one correction per version
    with clock.frozen(s.NOW):
        services.submit_claim(
            manager,
            correction.pk,
            confirm_token=services.submit_effects(manager, correction.pk).token,
        )
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUPERSEDED
    assert claim.total_benefit == 1400  # the submitted version never changed


def test_bad_input_is_refused_and_changes_nothing(world):
    ward, facility, _, manager = world
    _, _, child = f.family(ward)
    s.visit(child, facility, dt.date(2026, 11, 5), dt.time(10), dt.time(11))
    with clock.frozen(s.NOW):
        with pytest.raises(ValidationError, match="between 1 and 12"):
            services.generate_claims(manager, 2026, 13)
        with pytest.raises(ValidationError, match="has not ended yet"):
            services.generate_claims(manager, 2027, 1)
    assert not Claim.objects.exists()
    # A claim of another facility is out of reach.
    other_manager = s.manager_of(f.facility(ward))
    [claim] = _generate(manager)
    with pytest.raises(Http404):
        services.claim_page(other_manager, claim.pk)
    with pytest.raises(Http404):
        services.submit_claim(other_manager, claim.pk, confirm_token="x")
    with pytest.raises(Http404):
        services.generate_claims(f.user(), *NOV)
    assert Claim.objects.get().status == ClaimStatus.DRAFT


def _many_visits(ward, facility, count):
    children = [f.family(ward)[2] for _ in range(5)]
    for i in range(count):
        day = dt.date(2026, 11, 2 + i // 5)
        s.visit(children[i % 5], facility, day, dt.time(10), dt.time(11))


@pytest.mark.parametrize("count", [5, 50])
def test_generation_uses_a_bounded_number_of_queries(world, count, django_assert_max_num_queries):
    ward, facility, _, manager = world
    _many_visits(ward, facility, count)
    with django_assert_max_num_queries(20):
        [claim] = _generate(manager)
    assert claim.lines.count() == count


def test_same_number_of_queries_for_5_and_50_visits(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ward = world[0]
    counts = []
    for count, month in ((5, 10), (50, 11)):
        small_or_big = f.facility(ward)
        m = s.manager_of(small_or_big)
        children = [f.family(ward)[2] for _ in range(5)]
        for i in range(count):
            s.visit(
                children[i % 5],
                small_or_big,
                dt.date(2026, month, 1 + i // 5),
                dt.time(10),
                dt.time(11),
            )
        with CaptureQueriesContext(connection) as ctx, clock.frozen(s.NOW):
            services.generate_claims(m, 2026, month)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_a_month_that_has_not_ended_is_neither_claimed_nor_submitted(world):
    """Issue 10: the current month (and a future one) cannot be claimed; a draft of a month
    cannot be submitted before the month has ended either."""
    ward, facility, _, manager = world
    _, _, child = f.family(ward)
    s.visit(child, facility, dt.date(2026, 11, 5), dt.time(10), dt.time(11))
    s.visit(child, facility, dt.date(2026, 12, 1), dt.time(10), dt.time(11))
    with clock.frozen(s.NOW), translation.override("ja"):
        with pytest.raises(ValidationError) as refused:
            services.generate_claims(manager, 2026, 12)
        assert "令和8年12月" in str(refused.value) and "令和9年1月1日" in str(refused.value)
        with pytest.raises(ValidationError, match="令和9年3月"):
            services.generate_claims(manager, 2027, 3)
    assert not Claim.objects.exists()
    [claim] = _generate(manager)  # November, on 1 December
    # The same draft, submitted on the last day of November, is refused.
    last_evening = dt.datetime(2026, 11, 30, 18, 0, tzinfo=s.JST)
    token = services.submit_effects(manager, claim.pk).token
    with clock.frozen(last_evening), pytest.raises(ValidationError, match="has not ended yet"):
        services.submit_claim(manager, claim.pk, confirm_token=token)
    # Nobody is even asked to confirm it.
    with clock.frozen(last_evening), pytest.raises(ValidationError, match="has not ended yet"):
        services.submit_effects(manager, claim.pk)
    claim.refresh_from_db()
    assert claim.is_draft and claim.submitted_at is None
    with clock.frozen(s.NOW):
        submitted = services.submit_claim(manager, claim.pk, confirm_token=token)
        assert submitted.status == ClaimStatus.SUBMITTED
