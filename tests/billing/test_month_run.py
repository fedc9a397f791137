"""The month run (issue 11, item 5): every facility's claims of a month, many facilities per
query, exactly as each facility's manager would make them with ``generate_claims``."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from tests import factories as f
from tests.billing import scene as s
from tsuen.accounts.models import Role
from tsuen.attendance.models import AttendanceStatus
from tsuen.audit.models import AuditEvent
from tsuen.billing import services, services_month
from tsuen.billing.models import Claim, ClaimLine, ClaimStatus
from tsuen.core import clock, context, tenancy
from tsuen.core.middleware import scope_for

pytestmark = pytest.mark.django_db
NOV = (2026, 11)


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def _day(day: int) -> dt.date:
    return dt.date(2026, 11, day)


class Country:
    """Two wards (Shinjuku-like: national 10 h a month then Tokyo; and national defaults),
    five facilities with every kind of visit the pricing knows."""

    def __init__(self):
        self.ward, self.other_ward = s.ward(), s.ward(None)
        self.central = f.facility(self.ward, fee_per_hour=300)
        self.annex = f.facility(self.ward, fee_per_hour=400)
        self.unnumbered = f.facility(self.other_ward, facility_number="")
        self.quiet = f.facility(self.ward)  # a stale draft and no visit left
        self.idle = f.facility(self.other_ward)  # nothing at all
        self.facilities = [self.central, self.annex, self.unnumbered, self.quiet, self.idle]
        self.managers = {fac.pk: s.manager_of(fac) for fac in self.facilities}

        # Class 0, tax exempt, interviewed: crosses from the national into the Tokyo bucket
        # with visits at two facilities (the replay reads the other facility's visits).
        user, household, baby = f.family(self.ward, birth_date=dt.date(2025, 6, 1))
        s.fee_class(household, "tax_exempt")
        f.interview(baby, self.central, user, held_minutes=30, follow_up_recorded=True)
        s.visit(baby, self.annex, _day(2), dt.time(10), dt.time(11))
        for day in (4, 5, 6, 9, 10):
            s.visit(baby, self.central, _day(day))
        s.visit(baby, self.annex, _day(11), dt.time(9), dt.time(12))
        # Class 2 with every adder, a late pick-up.
        _, household, needs = f.family(
            self.ward, birth_date=dt.date(2024, 2, 1), disability=True, medical_care=True
        )
        household.support_needed = True
        household.save()
        s.visit(needs, self.central, _day(12), dt.time(10), dt.time(11, 30), out=dt.time(11, 35))
        # From the other ward, public assistance: claimed from its own ward, at three places.
        _, household, visitor = f.family(self.other_ward, family_name="越境")
        s.fee_class(household, "public_assistance")
        for day, fac in ((5, self.central), (6, self.annex), (7, self.unnumbered)):
            s.visit(visitor, fac, _day(day), dt.time(13), dt.time(14))
        # Interviewed, last came six months ago: the first-visit adder is due again.
        user, household, back = f.family(self.ward)
        f.interview(back, self.annex, user, held_minutes=45, follow_up_recorded=True)
        s.visit(back, self.annex, dt.date(2026, 5, 1), dt.time(10), dt.time(11))
        s.visit(back, self.annex, _day(2), dt.time(10), dt.time(11))
        s.visit(back, self.annex, _day(3), dt.time(10), dt.time(11))
        # A support-needed fee class that ends mid-month.
        _, household, mixed = f.family(self.other_ward)
        row = s.fee_class(household, "support_needed")
        row.valid_to = _day(10)
        row.save()
        s.visit(mixed, self.unnumbered, _day(6), dt.time(10), dt.time(11))
        s.visit(mixed, self.unnumbered, _day(20), dt.time(10), dt.time(11))
        # The quiet facility's only visit became a no-show after its draft was made.
        _, _, gone = f.family(self.ward)
        self.gone = s.visit(gone, self.quiet, _day(16))
        # Another month and a visit not attended: never claimed.
        s.visit(needs, self.central, dt.date(2026, 10, 30))
        no_show = s.visit(back, self.central, _day(17))
        no_show.status = AttendanceStatus.NO_SHOW
        no_show.checked_out_at = None
        no_show.save()

    def each_manager(self):
        """Every facility's generate_claims, as its manager (the per-facility path)."""
        with clock.frozen(s.NOW):
            for fac in self.facilities:
                manager = self.managers[fac.pk]
                with context.acting_as(context.actor_for(manager)), scope_for(manager):
                    services.generate_claims(manager, *NOV)


def _operator():
    operator = f.user(Role.NATIONAL_OPERATOR)
    f.second_factor(operator)
    return operator


def _run(user, batch_size=services_month.DEFAULT_BATCH_SIZE, **kw):
    with (
        clock.frozen(s.NOW),
        context.acting_as(context.actor_for(user)),
        scope_for(user),
    ):
        return services_month.generate_month_claims(user, *NOV, batch_size=batch_size, **kw)


def _claims(with_pk=True) -> dict:
    """Every claim of the month with its lines, as comparable values."""
    found = {}
    for claim in Claim.objects.filter(year=2026, month=11):
        lines = sorted(
            (
                line.booking_id,
                line.child_id,
                line.date,
                line.billable_minutes,
                line.age_class,
                line.bucket_shares,
                line.base_amount,
                line.adders,
                line.first_visit_amount,
                line.reduction_reimbursed,
                line.fee_gross,
            )
            for line in ClaimLine.objects.filter(claim=claim)
        )
        found[claim.facility_id, claim.paying_municipality_id, claim.version] = (
            claim.pk if with_pk else None,
            claim.status,
            claim.total_benefit,
            claim.total_reduction_reimbursed,
            lines,
        )
    return found


@pytest.fixture
def country():
    return Country()


def test_the_month_run_writes_exactly_the_claims_of_each_managers_generation(country):
    country.each_manager()
    # The quiet facility's visit turns into a no-show: its draft is to go.
    country.gone.status = AttendanceStatus.NO_SHOW
    country.gone.checked_out_at = None
    country.gone.save()
    country.each_manager()
    by_managers = _claims()
    assert len(by_managers) == 5  # central x2 payers, annex x2, unnumbered x1; quiet: none
    assert sum(len(claim[4]) for claim in by_managers.values()) == 15

    # From nothing: the drafts removed, the month run makes them again, the same to the yen,
    # in batches of one, two (facilities split across batches) and all at once.
    for batch_size in (1, 2, 100):
        Claim.objects.filter(status=ClaimStatus.DRAFT).delete()
        run = _run(_operator(), batch_size=batch_size)
        assert _claims(with_pk=False) == {k: (None, *v[1:]) for k, v in by_managers.items()}
        assert (run.claims, run.lines, run.refused) == (5, 15, [])
        assert run.facilities == len(country.facilities)


def test_the_amounts_are_those_of_the_rules(country):
    """The crossing into the Tokyo bucket needs the child's visits at another facility: a
    batch that mixes facilities still replays each child's whole year."""
    _run(_operator(), batch_size=2)
    central = Claim.objects.get(facility=country.central, paying_municipality=country.ward)
    shares = {
        line.date.day: line.bucket_shares for line in central.lines.all() if line.age_class == 0
    }
    # 60 min at the annex on the 2nd, then 4 x 120 here: 540; the 10th crosses 600.
    assert shares[9] == [
        {"payer": "national", "minutes": 120, "base": 3400, "adders": 0, "first_visit": 0}
    ]
    assert shares[10] == [
        {"payer": "national", "minutes": 60, "base": 1700, "adders": 0, "first_visit": 0},
        {"payer": "tokyo", "minutes": 60, "base": 1700, "adders": 0, "first_visit": 0},
    ]
    assert central.lines.get(date=_day(4)).first_visit_amount == 1700
    annex = Claim.objects.get(facility=country.annex, paying_municipality=country.ward)
    assert [line.first_visit_amount for line in annex.lines.order_by("date", "pk")] == [
        0,  # the baby: no interview at the annex
        1400,  # back after six months
        0,
        0,  # the baby on the 11th: all Tokyo's
    ]
    assert annex.lines.get(date=_day(11)).bucket_shares == [
        {"payer": "tokyo", "minutes": 180, "base": 5100, "adders": 0, "first_visit": 0}
    ]


def test_running_it_again_regenerates_the_same_drafts_in_place(country):
    operator = _operator()
    _run(operator)
    first = _claims()
    again = _run(operator)
    assert _claims() == first  # same claims (same ids), same lines, same yen
    assert (again.claims, again.lines, again.deleted) == (6, 16, 0)
    assert ClaimLine.objects.count() == 16
    # The quiet facility's only visit becomes a no-show: its draft goes, as generate_claims
    # would delete it.
    country.gone.status = AttendanceStatus.NO_SHOW
    country.gone.checked_out_at = None
    country.gone.save()
    assert _run(operator).deleted == 1
    assert not Claim.objects.filter(facility=country.quiet).exists()
    assert _claims() == {k: v for k, v in first.items() if k[0] != country.quiet.pk}
    # A visit added since: the draft grows in place.
    _, _, late = f.family(country.ward)
    s.visit(late, country.central, _day(25))
    _run(operator)
    after = _claims()
    key = (country.central.pk, country.ward.pk, 1)
    assert after[key][0] == first[key][0]
    assert len(after[key][4]) == len(first[key][4]) + 1


def test_a_facility_with_a_submitted_claim_is_refused_and_left_as_it_was(country):
    country.each_manager()
    manager = country.managers[country.annex.pk]
    submitted = Claim.objects.get(facility=country.annex, paying_municipality=country.ward)
    with clock.frozen(s.NOW):
        token = services.submit_effects(manager, submitted.pk).token
        services.submit_claim(manager, submitted.pk, confirm_token=token)
    # Data changes after submission: the central facility's draft follows, the annex must not.
    _, _, late = f.family(country.ward)
    s.visit(late, country.annex, _day(26))
    s.visit(late, country.central, _day(27))
    before = _claims()

    run = _run(_operator())
    [refusal] = run.refused
    assert refusal.facility_id == country.annex.pk
    assert refusal.facility_number == country.annex.facility_number
    assert "already submitted: make a correction instead" in refusal.message
    after = _claims()
    annex_claims = {k: v for k, v in after.items() if k[0] == country.annex.pk}
    assert annex_claims == {k: v for k, v in before.items() if k[0] == country.annex.pk}
    central = (country.central.pk, country.ward.pk, 1)
    assert len(after[central][4]) == len(before[central][4]) + 1
    # The manager's own generation refuses it the same way.
    with clock.frozen(s.NOW), pytest.raises(services.ClaimRefused, match=refusal.message):
        services.generate_claims(manager, *NOV)


def test_a_bad_or_unfinished_month_is_refused_before_anything_is_written(country):
    operator = _operator()
    with clock.frozen(s.NOW), context.acting_as(context.actor_for(operator)):
        with pytest.raises(services.ClaimRefused, match="between 1 and 12"):
            services_month.generate_month_claims(operator, 2026, 13)
        with pytest.raises(services.ClaimRefused, match="has not ended yet"):
            services_month.generate_month_claims(operator, 2026, 12)
    assert not Claim.objects.exists()
    assert not AuditEvent.objects.filter(object_type="billing.claim").exists()


def test_who_may_run_it_is_the_authorization_layers_choice(country):
    # A guardian, the ward's staff, an auditor: no rule, 404 (nothing written).
    for user in (
        f.family(country.ward)[0],
        f.user(Role.MUNICIPAL_PAYMENTS, municipality=country.ward),
        f.user(Role.MUNICIPAL_ADMIN, municipality=country.ward),
        f.user(Role.AUDITOR, municipality=country.ward),
    ):
        with pytest.raises(Http404):
            _run(user)
    assert not Claim.objects.exists()
    # A manager: the own facility's month only.
    run = _run(country.managers[country.central.pk])
    assert run.facilities == 1
    assert set(Claim.objects.values_list("facility_id", flat=True)) == {country.central.pk}
    # The operator, one municipality's facilities (where they are, not who pays).
    run = _run(_operator(), municipality=country.other_ward)
    assert run.facilities == 2
    assert set(Claim.objects.values_list("facility_id", flat=True)) == {
        country.central.pk,
        country.unnumbered.pk,
    }


def test_one_create_event_per_claim_as_the_managers_generation_writes(country):
    country.each_manager()
    by_manager = {
        int(e.object_id): e
        for e in AuditEvent.objects.filter(object_type="billing.claim", action="create")
    }
    operator = _operator()
    _run(operator)
    by_operator = list(
        AuditEvent.objects.filter(
            object_type="billing.claim", action="create", actor_id=operator.pk
        )
    )
    claims = Claim.objects.filter(year=2026, month=11)
    assert sorted(int(e.object_id) for e in by_operator) == sorted(c.pk for c in claims)
    for event in by_operator:
        same = by_manager[int(event.object_id)]
        assert event.actor_role == Role.NATIONAL_OPERATOR
        assert (event.municipality_id, event.field_names) == (same.municipality_id, [])
        assert (event.subject_child_ids, event.subject_guardian_ids) == ([], [])
        assert event.municipality_id == claims.get(pk=event.object_id).paying_municipality_id
    assert len({e.request_id for e in by_operator}) == 1  # one run, one request id


def test_the_statements_do_not_grow_with_the_facilities_or_the_visits(country):
    """One batch: the same statements for 5 facilities as for 15 with 30 more visits."""
    counts = []
    for extra in (0, 10):
        for _ in range(extra):
            fac = f.facility(country.ward)
            for n in range(3):
                _, _, kid = f.family(country.ward)
                s.visit(kid, fac, _day(2 + n))
        Claim.objects.all().delete()
        operator = _operator()
        with CaptureQueriesContext(connection) as ctx:
            _run(operator, batch_size=100)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    assert counts[0] <= 25


def test_the_command_runs_as_a_named_account_and_is_audited(country):
    operator = _operator()
    out = io.StringIO()
    with clock.frozen(s.NOW):
        call_command(
            "generate_month_claims",
            "--as",
            operator.email,
            "--year",
            "2026",
            "--month",
            "11",
            stdout=out,
        )
    text = out.getvalue()
    assert "5 facilities, 6 draft claims, 16 lines, 0 empty drafts deleted, 0 refused" in text
    events = AuditEvent.objects.filter(object_type="billing.claim", actor_id=operator.pk)
    assert events.count() == 6
    [request_id] = {e.request_id for e in events}
    assert request_id.startswith("generate_month_claims-") and request_id in text
    # No month given: the one before today's, here November.
    with clock.frozen(s.NOW):
        call_command("generate_month_claims", "--as", operator.email, stdout=io.StringIO())
    assert Claim.objects.count() == 6
    for bad in (
        ["--as", "nobody@example.jp"],
        ["--as", country.managers[country.central.pk].email, "--year", "2026"],
        ["--as", f.user(Role.AUDITOR, municipality=country.ward).email],
        ["--as", operator.email, "--municipality", "99999"],
        ["--as", operator.email, "--year", "2026", "--month", "12"],
    ):
        with clock.frozen(s.NOW), pytest.raises(CommandError):
            call_command("generate_month_claims", *bad, stdout=io.StringIO())
    with tenancy.cross_tenant("test"):
        assert Claim.objects.count() == 6
