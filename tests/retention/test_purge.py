"""Issue 12 items 1-2 (council item 3): the purge deletes expired records with what hangs on
them, keeps unexpired and held ones, is safe to run twice, and runs only after a second
administrator's approval; every step is audited. Time travel with ``clock.frozen``."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404

from tests.retention import scene as s
from tsuen.attendance.models import Attendance, DailyRecord
from tsuen.audit.models import AuditEvent
from tsuen.booking.models import Booking
from tsuen.certification.models import Application, Certification
from tsuen.core import clock
from tsuen.families.models import GrowthRecord, HouseholdFeeClass
from tsuen.files.models import StoredFile, StoredFileBlob
from tsuen.retention import services
from tsuen.retention.models import LegalHold, PurgeRun, RunStatus
from tsuen.retention.schedule import RecordClass

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return s.with_held_household(s.ward_scene())


def approved_run(w) -> PurgeRun:
    run = services.request_run(w["admin"])
    return services.approve_run(w["second"], run.pk)


def test_expired_records_go_unexpired_and_held_stay(w):
    with clock.frozen(s.TODAY):
        run = services.execute_run(w["admin"], approved_run(w).pk)
    old, recent, held = w["old"], w["recent"], w["held"]
    for model, key in (
        (Certification, "cert"),
        (Application, "application"),
        (Application, "rejected"),
        (StoredFile, "certificate"),
        (Booking, "booking"),
        (HouseholdFeeClass, "fee"),
    ):
        assert not s.exists(model, old[key]), key
        assert s.exists(model, recent[key]), key
        assert s.exists(model, held[key]), key
    # Fee-class evidence goes 12 months after the ward decided on it, whatever else stays.
    assert not s.exists(StoredFile, old["evidence"])
    assert not s.exists(StoredFile, recent["evidence"])
    assert s.exists(StoredFile, held["evidence"])
    assert not StoredFileBlob.unscoped.filter(file_id=old["evidence"].pk).exists()
    assert not Attendance.unscoped.filter(booking_id=old["booking"].pk).exists()
    assert not DailyRecord.unscoped.filter(booking_id=old["booking"].pk).exists()
    assert not GrowthRecord.unscoped.filter(child=old["child"]).exists()
    assert GrowthRecord.unscoped.filter(child=recent["child"]).exists()
    assert GrowthRecord.unscoped.filter(child=held["child"]).exists()
    # With nothing left, the old household goes with its guardian and child (not the account);
    # the others stay.
    assert not s.exists(type(old["child"]), old["child"])
    assert not s.exists(type(old["household"]), old["household"])
    assert s.exists(type(old["account"]), old["account"])
    assert s.exists(type(recent["household"]), recent["household"])
    assert s.exists(type(held["household"]), held["household"])
    assert run.deleted["households"] == {
        "consent.Consent": 1,  # its consent to the purpose notice goes with the household
        "families.Child": 1,
        "families.Guardian": 1,
        "families.Household": 1,
    }
    assert run.status == RunStatus.EXECUTED
    assert run.deleted["certifications"] == {
        "certification.Application": 1,
        "certification.Certification": 1,
    }
    assert run.deleted["bookings"]["booking.Booking"] == 1
    assert run.deleted["evidence_files"]["files.StoredFile"] == 2
    assert run.deleted["evidence_files"]["files.StoredFileBlob"] == 2


def test_a_household_stays_while_a_guardian_signs_in_or_a_record_is_left(w):
    old = w["old"]
    type(old["account"]).objects.filter(pk=old["account"].pk).update(
        last_login=s.moment(dt.date(2026, 6, 1))
    )
    with clock.frozen(s.TODAY):
        assert services.dry_run(w["ward"])["households"] == {}
        run = services.execute_run(w["admin"], approved_run(w).pk)
    assert run.deleted["households"] == {}
    assert s.exists(type(old["household"]), old["household"])
    # Signed in more than 12 months before: the household goes in the next run.
    with clock.frozen(dt.datetime(2027, 6, 2, 10, tzinfo=dt.UTC)):
        assert services.dry_run(w["ward"])["households"]["families.Household"] == 1


def test_evidence_verified_less_than_a_year_ago_stays(w):
    recent = w["recent"]
    fresh = s.stored(recent["account"], recent["household"])
    Application.objects.filter(pk=recent["rejected"].pk).update(
        fee_evidence=fresh, decided_at=s.moment(dt.date(2026, 1, 5))
    )
    with clock.frozen(s.TODAY):
        assert services.dry_run(w["ward"])["evidence_files"]["files.StoredFile"] == 2
    with clock.frozen(dt.datetime(2027, 1, 6, 10, tzinfo=dt.UTC)):
        assert services.dry_run(w["ward"])["evidence_files"]["files.StoredFile"] == 3


def test_the_dry_run_counts_what_goes_and_deletes_nothing(w):
    with clock.frozen(s.TODAY):
        planned = services.dry_run(w["ward"])
        assert s.exists(Certification, w["old"]["cert"])
        run = services.execute_run(w["admin"], approved_run(w).pk)
    assert run.planned == planned == run.deleted


def test_a_second_run_finds_nothing_and_an_executed_run_is_not_run_again(w):
    with clock.frozen(s.TODAY):
        first = services.execute_run(w["admin"], approved_run(w).pk)
        with pytest.raises(services.RetentionRefused, match="すでに実行されています"):
            services.execute_run(w["second"], first.pk)
        again = services.execute_run(w["admin"], approved_run(w).pk)
    assert sum(sum(c.values()) for c in first.deleted.values()) > 0
    assert all(counts == {} for counts in again.deleted.values())


def test_before_the_period_ends_nothing_goes(w):
    # On 31 March 2026 the records closed in FY2020 are kept for one more day.
    with clock.frozen(dt.datetime(2026, 3, 31, 10, tzinfo=dt.UTC)):
        planned = services.dry_run(w["ward"])
    assert "certification.Certification" not in planned["certifications"]
    with clock.frozen(dt.datetime(2026, 4, 1, 10, tzinfo=dt.UTC)):
        planned = services.dry_run(w["ward"])
    assert planned["certifications"]["certification.Certification"] == 1


def test_a_longer_period_keeps_more_and_a_shorter_one_is_refused(w):
    with clock.frozen(s.TODAY):
        assert services.set_periods(w["admin"], {"certifications": 7}) == ["certifications"]
        assert services.dry_run(w["ward"])["certifications"] == {}
        with pytest.raises(
            services.RetentionRefused, match="既定（利用日の属する会計年度の終了後5年）より短く"
        ):
            services.set_periods(w["admin"], {"bookings": 4})
    assert services.periods_of(w["ward"])[RecordClass.BOOKINGS] == 5
    assert (
        AuditEvent.objects.filter(object_type="retention.retentionrule", action="update").count()
        == 1
    )


def test_the_same_administrator_cannot_approve_their_own_run(w):
    with clock.frozen(s.TODAY):
        run = services.request_run(w["admin"])
        with pytest.raises(services.RetentionRefused, match="ご自身が申請した消去は承認できません"):
            services.approve_run(w["admin"], run.pk)
        with pytest.raises(services.RetentionRefused, match="別の管理者が承認した後でなければ"):
            services.execute_run(w["admin"], run.pk)
    assert s.exists(Certification, w["old"]["cert"])
    assert PurgeRun.objects.get(pk=run.pk).status == RunStatus.REQUESTED


def test_one_open_run_at_a_time_and_a_cancelled_run_deletes_nothing(w):
    with clock.frozen(s.TODAY):
        run = services.request_run(w["admin"])
        with pytest.raises(services.RetentionRefused, match="すでに処理待ちの消去"):
            services.request_run(w["second"])
        services.cancel_run(w["second"], run.pk)
        with pytest.raises(services.RetentionRefused):
            services.approve_run(w["second"], run.pk)
    assert s.exists(Certification, w["old"]["cert"])


def test_other_wards_and_other_roles_get_404(w):
    with clock.frozen(s.TODAY):
        run = services.request_run(w["admin"])
        for user in (w["other_admin"], w["reviewer"], w["auditor"]):
            with pytest.raises(Http404):
                services.approve_run(user, run.pk)
        # Another ward's administrator finds no such child in their ward (as for a wrong
        # number: nothing is disclosed) and sets nothing.
        with pytest.raises(services.RetentionRefused, match=str(w["old"]["child"].pk)):
            services.set_hold(w["other_admin"], "child", w["old"]["child"].pk, "x")
    assert not LegalHold.objects.filter(child=w["old"]["child"]).exists()


def test_a_released_hold_lets_the_records_go(w):
    hold = LegalHold.objects.get(household=w["held"]["household"])
    with clock.frozen(s.TODAY):
        with pytest.raises(services.RetentionRefused, match="解除する理由を入力"):
            services.release_hold(w["second"], hold.pk, " ")
        services.release_hold(w["second"], hold.pk, "判決確定")
        with pytest.raises(services.RetentionRefused, match="すでに解除されています"):
            services.release_hold(w["second"], hold.pk, "二度目")
        services.execute_run(w["admin"], approved_run(w).pk)
    assert not s.exists(Certification, w["held"]["cert"])
    events = AuditEvent.objects.filter(object_type="retention.legalhold").order_by("pk")
    # Released, the hold goes with the household it held (the audit keeps all three steps).
    assert [e.action for e in events] == ["create", "update", "purge"]
    assert not s.exists(type(w["held"]["household"]), w["held"]["household"])


def test_a_hold_on_a_child_or_a_facility_keeps_their_records(w):
    with clock.frozen(s.TODAY):
        services.set_hold(w["admin"], "child", w["old"]["child"].pk, "開示請求対応")
        with pytest.raises(services.RetentionRefused, match="すでに法的保全の対象"):
            services.set_hold(w["second"], "child", w["old"]["child"].pk, "二重")
        with pytest.raises(services.RetentionRefused, match="10000000"):
            services.set_hold(w["admin"], "child", 10_000_000, "存在しない")
        planned = services.dry_run(w["ward"])
    assert planned["certifications"] == {}
    assert planned["bookings"] == {}
    # A facility's hold keeps its bookings, whoever's child they were.
    hold = LegalHold.objects.get(child=w["old"]["child"])
    with clock.frozen(s.TODAY):
        services.release_hold(w["admin"], hold.pk, "終了")
        services.set_hold(w["admin"], "facility", w["facility"].pk, "監査対応")
        planned = services.dry_run(w["ward"])
    assert planned["bookings"] == {}
    assert planned["certifications"]["certification.Certification"] == 1


def test_each_deleted_record_and_the_report_are_in_the_audit_chain(w):
    with clock.frozen(s.TODAY):
        run = services.execute_run(w["admin"], approved_run(w).pk)
    purged = AuditEvent.objects.filter(action="purge")
    assert (
        purged.filter(object_type="certification.certification")
        .touching_child(w["old"]["child"])
        .exists()
    )
    report_event = purged.get(object_type="retention.purgerun")
    assert report_event.document_sha256 == run.report_sha256
    assert len(run.report_sha256) == 64
