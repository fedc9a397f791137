"""Issue 12 item 1: a facility's claims (payment_5y) are purged as whole correction chains,
with their lines and the ward's queries, once the chain's last step has expired; the bookings
they count and the household of the children on them then go by their own rules. A hold on
the household, the child or the facility (whichever ward set it) keeps the whole chain.
Time travel with ``clock.frozen``."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories as f
from tests.retention import scene as s
from tsuen.accounts.models import Role
from tsuen.audit.models import AuditEvent
from tsuen.billing.models import Claim, ClaimLine, ClaimQuery, ClaimStatus
from tsuen.booking.models import Booking
from tsuen.core import clock
from tsuen.retention import services

pytestmark = pytest.mark.django_db

#: 1 April 2027: FY2021 (ended 31 March 2022) is five years past.
LATER = dt.datetime(2027, 4, 1, 10, tzinfo=dt.UTC)


@pytest.fixture
def w():
    return s.with_held_household(s.ward_scene())


def execute(w):
    run = services.request_run(w["admin"])
    services.approve_run(w["second"], run.pk)
    return services.execute_run(w["second"], run.pk)


def corrected(w) -> dict:
    """The old family's claim (FY2020) queried by the ward and corrected by the facility; the
    correction was paid on 10 May 2021 (FY2021), so the chain closed in FY2021."""
    old = w["old"]
    first = old["claim"]
    line = ClaimLine.objects.get(claim=first)
    Claim.objects.filter(pk=first.pk).update(status=ClaimStatus.SUPERSEDED, paid_at=None)
    second = s.claim(
        w["facility"], [old["booking"]], closed=dt.date(2021, 5, 10), version=2, supersedes=first
    )
    query = ClaimQuery.objects.create(
        claim=first, line=line, message="時間を確認してください", asked_by=w["reviewer"],
        asked_at=s.moment(dt.date(2020, 4, 20)), answered_at=s.moment(dt.date(2021, 5, 10)),
        answered_in=second,
    )  # fmt: skip
    return {"first": first, "second": second, "line": line, "query": query}


def test_an_expired_claim_goes_with_its_lines_bookings_and_household(w):
    old, recent, held = w["old"], w["recent"], w["held"]
    with clock.frozen(s.TODAY):
        run = execute(w)
    assert run.deleted["claims"] == {"billing.Claim": 1, "billing.ClaimLine": 1}
    assert not s.exists(Claim, old["claim"])
    assert not ClaimLine.unscoped.filter(booking=old["booking"]).exists()
    # The booking it counted and the household of its child are no longer kept by it.
    assert not s.exists(Booking, old["booking"])
    assert not s.exists(type(old["household"]), old["household"])
    # Unexpired (paid in FY2025) and held (its household) claims stay with their bookings.
    for family in (recent, held):
        assert s.exists(Claim, family["claim"])
        assert ClaimLine.unscoped.filter(claim=family["claim"]).count() == 1
        assert s.exists(Booking, family["booking"])
    # Each deleted claim and line is a purge event; the line names its child.
    purged = AuditEvent.objects.filter(action="purge")
    assert purged.filter(object_type="billing.claim", object_id=old["claim"].pk).exists()
    assert purged.filter(object_type="billing.claimline").touching_child(old["child"]).exists()


def test_a_correction_chain_stays_whole_until_its_newest_version_expires(w):
    chain = corrected(w)
    old = w["old"]
    with clock.frozen(s.TODAY):
        run = execute(w)
    # The first version closed in FY2020, but the chain's last step was in FY2021.
    assert run.deleted["claims"] == {}
    for key in ("first", "second", "line", "query"):
        assert s.exists(type(chain[key]), chain[key]), key
    assert s.exists(Booking, old["booking"])
    assert s.exists(type(old["household"]), old["household"])
    with clock.frozen(dt.datetime(2027, 3, 31, 10, tzinfo=dt.UTC)):
        assert services.dry_run(w["ward"])["claims"] == {}
    with clock.frozen(LATER):
        run = execute(w)
        again = execute(w)
    assert run.deleted["claims"] == {
        "billing.Claim": 2,
        "billing.ClaimLine": 2,
        "billing.ClaimQuery": 1,
    }
    for key in ("first", "second", "line", "query"):
        assert not s.exists(type(chain[key]), chain[key]), key
    assert not s.exists(Booking, old["booking"])
    assert not s.exists(type(old["household"]), old["household"])
    # Run twice: nothing more to delete; the recent and held claims are still there.
    assert all(counts == {} for counts in again.deleted.values())
    assert s.exists(Claim, w["recent"]["claim"]) and s.exists(Claim, w["held"]["claim"])


def test_an_unpaid_chain_closes_on_its_last_step(w):
    # Submitted in FY2021 and never approved: the submission is its last step.
    old = w["old"]
    Claim.objects.filter(pk=old["claim"].pk).update(
        status=ClaimStatus.SUBMITTED, paid_at=None, submitted_at=s.moment(dt.date(2021, 4, 1))
    )
    with clock.frozen(s.TODAY):
        assert services.dry_run(w["ward"])["claims"] == {}
    with clock.frozen(LATER):
        assert services.dry_run(w["ward"])["claims"]["billing.Claim"] == 1


def test_a_hold_on_the_child_or_the_facility_keeps_the_whole_chain(w):
    chain = corrected(w)
    old = w["old"]
    with clock.frozen(LATER):
        services.set_hold(w["admin"], "child", old["child"].pk, "開示請求対応")
        assert services.dry_run(w["ward"])["claims"] == {}
        hold = services.holds(w["admin"]).get(child=old["child"])
        services.release_hold(w["admin"], hold.pk, "終了")
        services.set_hold(w["admin"], "facility", w["facility"].pk, "監査対応")
        run = execute(w)
    assert run.deleted["claims"] == {} and run.deleted["bookings"] == {}
    assert s.exists(Claim, chain["second"]) and s.exists(ClaimQuery, chain["query"])
    assert s.exists(Booking, old["booking"])


def test_a_facility_held_by_its_ward_keeps_another_wards_claims_there(w):
    other = w["other_ward"]
    reviewer = f.user(Role.MUNICIPAL_REVIEWER, municipality=other)
    visitor = s.family_with_records(
        other, w["facility"], reviewer, ended=dt.date(2021, 2, 28), name="隣"
    )
    with clock.frozen(s.TODAY):
        assert services.dry_run(other)["claims"]["billing.Claim"] == 1
        services.set_hold(w["admin"], "facility", w["facility"].pk, "監査対応")
        planned = services.dry_run(other)
    assert planned["claims"] == {} and planned["bookings"] == {}
    assert s.exists(Claim, visitor["claim"])
