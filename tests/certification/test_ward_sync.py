"""Issue 13, the ward systems: the certification change log written by every path that changes
a certification or a household's fee class, the change feed after a cursor, the tax system's
bulk fee-class write-back (row by row, all or nothing) and the ward's claims and register."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.http import Http404
from django.utils import translation

from tests import factories as f
from tests.certification.conftest import answers, evidence
from tsuen.accounts.models import Role
from tsuen.audit.models import AuditEvent
from tsuen.billing.models import Claim, ClaimStatus
from tsuen.certification import changes, lifecycle, services, ward_sync
from tsuen.certification.models import (
    CertificationChange,
    CertificationStatus,
    ChangeKind,
    EndReason,
)
from tsuen.certification.ward_sync import FeeClassRow
from tsuen.core import clock
from tsuen.families.models import FeeClass, HouseholdFeeClass

D = dt.date
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def world(ward, reviewer):
    """Two siblings (one household) and a third child of another household, all certified by
    the ward; a fourth child certified by another ward."""
    hh = f.household(ward)
    kid = f.child(hh, birth_date=D(2025, 4, 10))
    sib = f.child(hh, birth_date=D(2024, 6, 1))
    cert = f.certification(kid, reviewer, number="SJ2026-00001", valid_from=D(2025, 10, 10))
    sib_cert = f.certification(sib, reviewer, number="SJ2026-00002", valid_from=D(2025, 10, 10))
    hh2 = f.household(ward)
    third = f.child(hh2, birth_date=D(2025, 1, 5))
    third_cert = f.certification(third, reviewer, number="SJ2026-00003")
    other_ward = f.municipality()
    other_hh = f.household(other_ward)
    other_kid = f.child(other_hh)
    other_staff = f.user(Role.MUNICIPAL_REVIEWER, municipality=other_ward)
    other_cert = f.certification(other_kid, other_staff, number="SJ2026-00004")
    return {
        "hh": hh,
        "kid": kid,
        "cert": cert,
        "sib_cert": sib_cert,
        "hh2": hh2,
        "third_cert": third_cert,
        "other_ward": other_ward,
        "other_staff": other_staff,
        "other_cert": other_cert,
    }


def log(**filters) -> list[tuple[int, str]]:
    return list(
        CertificationChange.objects.filter(**filters)
        .order_by("pk")
        .values_list("certification_id", "kind")
    )


# --- the change log: every path that changes a certification writes it ---------------------------


def _certify(staff, application_id):
    token = services.decision_effects(staff, application_id, "certify").token
    return services.certify(staff, application_id, confirm_token=token)


def test_certifying_logs_the_certification_and_its_fee_class(ward, reviewer, applicant):
    application = f.started_application(applicant, ward.pk)
    services.submit(applicant, application.pk, answers(), evidence())
    [cert] = _certify(reviewer, application.pk)
    assert log() == [(cert.pk, ChangeKind.CERTIFIED), (cert.pk, ChangeKind.FEE_CLASS)]
    assert CertificationChange.objects.get(kind="certified").municipality_id == ward.pk


def test_setting_a_fee_class_logs_every_certification_of_the_household(world, reviewer):
    w = world
    lifecycle.set_fee_class(reviewer, w["kid"].pk, FeeClass.TAX_EXEMPT, D(2026, 4, 1))
    assert log() == [
        (w["cert"].pk, ChangeKind.FEE_CLASS),
        (w["sib_cert"].pk, ChangeKind.FEE_CLASS),
    ]


def test_a_refused_fee_class_logs_nothing(world, reviewer):
    w = world
    lifecycle.set_fee_class(reviewer, w["kid"].pk, FeeClass.TAX_EXEMPT, D(2026, 4, 1))
    lifecycle.set_fee_class(reviewer, w["kid"].pk, FeeClass.NONE, D(2026, 9, 1))
    before = log()
    with pytest.raises(lifecycle.LifecycleInvalid):
        lifecycle.set_fee_class(reviewer, w["kid"].pk, FeeClass.LOW_INCOME, D(2026, 6, 1))
    assert log() == before


def test_an_end_to_come_logs_the_validity_a_past_end_the_status_too(world, reviewer):
    w = world
    lifecycle.end_certification(reviewer, w["kid"].pk, EndReason.MOVED_OUT, D(2026, 6, 30))
    assert log() == [(w["cert"].pk, ChangeKind.VALIDITY)]
    lifecycle.end_certification(reviewer, w["kid"].pk, EndReason.MOVED_OUT, D(2026, 5, 1))
    assert log()[1:] == [(w["cert"].pk, ChangeKind.VALIDITY), (w["cert"].pk, ChangeKind.STATUS)]


def test_the_daily_command_logs_the_status(world, reviewer):
    w = world
    cert = w["third_cert"]
    cert.valid_to = D(2026, 5, 10)
    cert.save()
    call_command("end_aged_out_certifications")
    call_command("end_aged_out_certifications")
    assert log() == [(cert.pk, ChangeKind.STATUS)]


def test_a_refused_end_logs_nothing(world, reviewer):
    w = world
    with pytest.raises(lifecycle.LifecycleInvalid):
        lifecycle.end_certification(reviewer, w["kid"].pk, EndReason.MOVED_OUT, D(2029, 1, 1))
    assert log() == []


# --- the change feed ---------------------------------------------------------------------------


def test_the_feed_gives_the_wards_changes_after_the_cursor(world, reviewer):
    w = world
    lifecycle.set_fee_class(reviewer, w["kid"].pk, FeeClass.TAX_EXEMPT, D(2026, 4, 1))
    changes.note([w["other_cert"]], ChangeKind.CERTIFIED)  # another ward's: never shown
    lifecycle.end_certification(reviewer, w["kid"].pk, EndReason.MOVED_OUT, D(2026, 6, 30))
    page = changes.changes_since(reviewer)
    assert [i.certification.number for i in page.items] == ["SJ2026-00002", "SJ2026-00001"]
    first = page.items[1]
    assert first.kinds == [ChangeKind.FEE_CLASS, ChangeKind.VALIDITY]
    assert (first.certification.valid_to, first.certification.ended_on) == (
        D(2026, 6, 30),
        D(2026, 6, 30),
    )
    assert first.certification.status == CertificationStatus.ACTIVE
    assert first.fee_class == FeeClass.TAX_EXEMPT  # on today (2026-05-11)
    assert [(p.fee_class, p.valid_from, p.valid_to) for p in first.fee_classes] == [
        (FeeClass.TAX_EXEMPT, D(2026, 4, 1), None)
    ]
    assert not page.has_more
    # Nothing new: nothing, and the same place.
    again = changes.changes_since(reviewer, page.next_cursor)
    assert again.items == [] and not again.has_more
    assert changes._after(again.next_cursor, w["cert"].municipality_id) == (
        changes._after(page.next_cursor, w["cert"].municipality_id)
    )
    # A new change: only it.
    lifecycle.set_fee_class(reviewer, w["kid"].pk, FeeClass.NONE, D(2026, 9, 1))
    later = changes.changes_since(reviewer, page.next_cursor)
    assert [i.certification.number for i in later.items] == ["SJ2026-00001", "SJ2026-00002"]
    assert later.items[0].kinds == [ChangeKind.FEE_CLASS]
    # The one ending on 30 June: the September class falls outside its validity.
    assert [(p.fee_class, p.valid_to) for p in later.items[0].fee_classes] == [
        (FeeClass.TAX_EXEMPT, D(2026, 8, 31)),
    ]
    assert [(p.fee_class, p.valid_to) for p in later.items[1].fee_classes] == [
        (FeeClass.TAX_EXEMPT, D(2026, 8, 31)),
        (FeeClass.NONE, None),
    ]


def test_the_feed_pages_by_limit(world, reviewer):
    w = world
    for cert in (w["cert"], w["sib_cert"], w["third_cert"]):
        changes.note([cert], ChangeKind.CERTIFIED)
    seen, cursor = [], None
    for _ in range(3):
        page = changes.changes_since(reviewer, cursor, limit=1)
        seen += [i.certification.number for i in page.items]
        cursor = page.next_cursor
        if not page.has_more:
            break
    assert seen == ["SJ2026-00001", "SJ2026-00002", "SJ2026-00003"]
    assert changes.changes_since(reviewer, cursor).items == []


def test_the_feed_is_audited(world, reviewer):
    w = world
    lifecycle.set_fee_class(reviewer, w["kid"].pk, FeeClass.TAX_EXEMPT, D(2026, 4, 1))
    before = AuditEvent.objects.filter(action="read").count()
    changes.changes_since(reviewer)
    events = AuditEvent.objects.filter(action="read").order_by("pk")[before:]
    read = {(e.object_type, e.object_id) for e in events}
    assert ("certification.certification", str(w["cert"].pk)) in read
    assert ("certification.certification", str(w["sib_cert"].pk)) in read
    row = HouseholdFeeClass.objects.get(household=w["hh"])
    assert ("families.householdfeeclass", str(row.pk)) in read
    assert all("number" in e.field_names or "fee_class" in e.field_names for e in events)


@pytest.mark.parametrize(
    "cursor", ["nonsense", "eyJtIjoxLCJhIjo1fQ:forged", "a" * 300, "\ud800:\x00", ":"]
)
def test_a_bad_cursor_is_refused(world, reviewer, cursor):
    with pytest.raises(changes.FeedInvalid) as refused:
        changes.changes_since(reviewer, cursor)
    assert refused.value.code == "cursor"


def test_another_wards_cursor_is_refused(world, reviewer):
    w = world
    theirs = changes.changes_since(w["other_staff"]).next_cursor
    with pytest.raises(changes.FeedInvalid):
        changes.changes_since(reviewer, theirs)


@pytest.mark.parametrize("limit", [0, -1, changes.MAX_LIMIT + 1])
def test_a_bad_limit_is_refused(world, reviewer, limit):
    with pytest.raises(changes.FeedInvalid) as refused:
        changes.changes_since(reviewer, None, limit=limit)
    assert refused.value.code == "limit"


@pytest.mark.parametrize(
    "role", [Role.GUARDIAN, Role.FACILITY_MANAGER, Role.AUDITOR, Role.NATIONAL_OPERATOR]
)
def test_the_feed_is_the_wards_only(world, role):
    w = world
    kw = {}
    if role == Role.FACILITY_MANAGER:
        kw["facility"] = f.facility(w["hh"].municipality)
    if role == Role.AUDITOR:
        kw["municipality"] = w["hh"].municipality
    with pytest.raises(Http404):
        changes.changes_since(f.user(role, **kw))


def test_the_payments_officer_follows_the_feed(world, ward):
    changes.note([world["cert"]], ChangeKind.CERTIFIED)
    officer = f.user(Role.MUNICIPAL_PAYMENTS, municipality=ward)
    assert [i.certification.pk for i in changes.changes_since(officer).items] == [world["cert"].pk]


# --- the bulk fee-class write-back -------------------------------------------------------------


def fee_rows() -> list[tuple]:
    return list(
        HouseholdFeeClass.objects.order_by("household_id", "valid_from").values_list(
            "household_id", "fee_class", "valid_from", "valid_to"
        )
    )


def test_the_write_back_writes_every_row(world, reviewer):
    w = world
    lifecycle.set_fee_class(reviewer, w["kid"].pk, FeeClass.NONE, D(2025, 10, 10))
    done = ward_sync.write_back_fee_classes(
        reviewer,
        [
            FeeClassRow("SJ2026-00001", "tax_exempt", "2026-04-01", "2026-08-31"),
            FeeClassRow("SJ2026-00001", "low_income", "2026-09-01"),
            FeeClassRow(" SJ2026-00002 ", "tax_exempt", D(2026, 4, 1), D(2026, 8, 31)),
            FeeClassRow("SJ2026-00003", "public_assistance", "2026-04-01", None),
        ],
    )
    assert (done.rows, done.decisions, done.households) == (4, 3, 2)
    assert fee_rows() == [
        (w["hh"].pk, "none", D(2025, 10, 10), D(2026, 3, 31)),
        (w["hh"].pk, "tax_exempt", D(2026, 4, 1), D(2026, 8, 31)),
        (w["hh"].pk, "low_income", D(2026, 9, 1), None),
        (w["hh2"].pk, "public_assistance", D(2026, 4, 1), None),
    ]
    assert all(r.verified_by == reviewer for r in HouseholdFeeClass.objects.all())
    kinds = log(kind=ChangeKind.FEE_CLASS)
    assert {cert for cert, _kind in kinds} == {
        w["cert"].pk,
        w["sib_cert"].pk,
        w["third_cert"].pk,
    }
    audited = AuditEvent.objects.filter(
        object_type="families.householdfeeclass", action__in=["create", "update"]
    )
    assert audited.count() >= 4


def test_the_write_back_again_confirms_in_place(world, reviewer):
    rows = [FeeClassRow("SJ2026-00003", "tax_exempt", "2026-04-01")]
    ward_sync.write_back_fee_classes(reviewer, rows)
    ward_sync.write_back_fee_classes(reviewer, rows)
    assert fee_rows() == [(world["hh2"].pk, "tax_exempt", D(2026, 4, 1), None)]


GOOD = FeeClassRow("SJ2026-00003", "tax_exempt", "2026-04-01")


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        (FeeClassRow("", "tax_exempt", "2026-04-01"), "number_missing"),
        (FeeClassRow("SJ2026-99999", "tax_exempt", "2026-04-01"), "not_found"),
        (FeeClassRow("SJ2026-00004", "tax_exempt", "2026-04-01"), "not_found"),  # other ward
        (FeeClassRow("SJ2026-00001", "rich", "2026-04-01"), "fee_class"),
        (FeeClassRow("SJ2026-00001", "tax_exempt", "2026-02-30"), "date"),
        (FeeClassRow("SJ2026-00001", "tax_exempt", ""), "date"),
        (FeeClassRow("SJ2026-00001", "tax_exempt", "2026-04-01", "1 April"), "date"),
        (FeeClassRow("SJ2026-00001", "tax_exempt", "2026-04-01", "2026-03-31"), "dates_reversed"),
        (FeeClassRow("SJ2026-00001", "tax_exempt", "0001-01-01"), "date"),
        (FeeClassRow("SJ2026-00001", "tax_exempt", "2026-04-01", "9999-12-31"), "date"),
        (FeeClassRow("SJ2026-00001", "tax_exempt", D(1999, 12, 31)), "date"),
        (FeeClassRow("SJ2026-\x0000001", "tax_exempt", "2026-04-01"), "not_found"),
        (FeeClassRow("SJ2026-\ud800", "tax_exempt", "2026-04-01"), "not_found"),
        (FeeClassRow("SJ2026-00001", "\ud800\x00", "2026-04-01"), "fee_class"),
        (FeeClassRow("SJ2026-00001", "tax_exempt", "2026-04-01\ud800"), "date"),
    ],
)
def test_one_bad_row_and_nothing_is_written(world, reviewer, bad, code):
    with pytest.raises(ward_sync.WriteBackInvalid) as refused:
        ward_sync.write_back_fee_classes(reviewer, [GOOD, bad])
    assert refused.value.code == "rows_rejected"
    assert [(r.row, r.code) for r in refused.value.rejected] == [(2, code)]
    assert refused.value.rejected[0].message
    assert fee_rows() == [] and log() == []
    assert not AuditEvent.objects.filter(object_type="families.householdfeeclass").exists()


def test_rows_contradicting_each_other_are_refused(world, reviewer):
    rows = [
        FeeClassRow("SJ2026-00001", "tax_exempt", "2026-04-01"),  # 1
        FeeClassRow("SJ2026-00001", "tax_exempt", "2026-04-01"),  # 2 duplicate of 1
        FeeClassRow("SJ2026-00002", "none", "2026-04-01"),  # 3 sibling, another class: conflict
        FeeClassRow("SJ2026-00002", "tax_exempt", "2026-04-01"),  # 4 sibling, same: fine
        FeeClassRow("SJ2026-00003", "none", "2026-04-01"),  # 5
        FeeClassRow("SJ2026-00003", "tax_exempt", "2026-06-01"),  # 6 overlaps 5 (open)
    ]
    with pytest.raises(ward_sync.WriteBackInvalid) as refused:
        ward_sync.write_back_fee_classes(reviewer, rows)
    assert [(r.row, r.number, r.code) for r in refused.value.rejected] == [
        (2, "SJ2026-00001", "duplicate"),
        (3, "SJ2026-00002", "conflict"),
        (6, "SJ2026-00003", "overlap_in_file"),
    ]
    assert "Row 1" in refused.value.rejected[0].message
    assert fee_rows() == [] and log() == []


def test_an_overlap_with_a_class_held_refuses_everything(world, reviewer):
    w = world
    lifecycle.set_fee_class(reviewer, w["kid"].pk, FeeClass.TAX_EXEMPT, D(2026, 4, 1))
    lifecycle.set_fee_class(reviewer, w["kid"].pk, FeeClass.NONE, D(2026, 9, 1))
    before_rows, before_log = fee_rows(), log()
    with pytest.raises(ward_sync.WriteBackInvalid) as refused:
        ward_sync.write_back_fee_classes(
            reviewer,
            [
                GOOD,  # written first (inside), then undone
                FeeClassRow("SJ2026-00001", "low_income", "2026-06-01"),
                FeeClassRow("SJ2026-00002", "low_income", "2026-06-01"),  # the same decision
            ],
        )
    assert [(r.row, r.code) for r in refused.value.rejected] == [(2, "overlap"), (3, "overlap")]
    assert "overlaps the fee class" in refused.value.rejected[0].message
    assert fee_rows() == before_rows and log() == before_log


def test_a_file_older_than_the_wards_last_change_is_refused(world, reviewer):
    w = world
    made = clock.now()
    with clock.frozen(dt.datetime(2026, 5, 11, 11, 0)):
        lifecycle.set_fee_class(reviewer, w["kid"].pk, FeeClass.TAX_EXEMPT, D(2026, 4, 1))
    before_rows, before_log = fee_rows(), log()
    rows = [GOOD, FeeClassRow("SJ2026-00002", "none", "2026-09-01")]
    with pytest.raises(ward_sync.WriteBackInvalid) as refused:
        ward_sync.write_back_fee_classes(reviewer, rows, unmodified_since=made)
    assert [(r.row, r.code) for r in refused.value.rejected] == [(2, "changed_since")]
    assert "11:00" in refused.value.rejected[0].message
    assert fee_rows() == before_rows and log() == before_log
    with clock.frozen(dt.datetime(2026, 5, 11, 12, 0)):
        later = clock.now()
        done = ward_sync.write_back_fee_classes(reviewer, rows, unmodified_since=later)
    assert done.decisions == 2


def test_an_empty_or_huge_file_is_refused(world, reviewer):
    with pytest.raises(ward_sync.WriteBackInvalid) as refused:
        ward_sync.write_back_fee_classes(reviewer, [])
    assert refused.value.code == "empty"
    with pytest.raises(ward_sync.WriteBackInvalid) as refused:
        ward_sync.write_back_fee_classes(reviewer, [GOOD] * (ward_sync.MAX_ROWS + 1))
    assert refused.value.code == "too_many"


def test_only_the_wards_deciders_write_back(world, ward):
    for user in (
        f.user(Role.MUNICIPAL_PAYMENTS, municipality=ward),
        f.user(Role.AUDITOR, municipality=ward),
        f.user(Role.GUARDIAN),
        f.user(Role.FACILITY_MANAGER, facility=f.facility(ward)),
    ):
        with pytest.raises(Http404):
            ward_sync.write_back_fee_classes(user, [GOOD])
    assert fee_rows() == []
    admin = f.user(Role.MUNICIPAL_ADMIN, municipality=ward)
    assert ward_sync.write_back_fee_classes(admin, [GOOD]).decisions == 1


# --- claims and the register -------------------------------------------------------------------


def test_the_wards_claims_with_their_payment_status(world, ward):
    w = world
    fac = f.facility(ward)
    other_fac = f.facility(w["other_ward"])
    sent = Claim.objects.create(facility=fac, paying_municipality=ward, year=2026, month=4)
    Claim.objects.filter(pk=sent.pk).update(status=ClaimStatus.PAID)
    Claim.objects.create(facility=fac, paying_municipality=ward, year=2026, month=5)  # draft
    theirs = Claim.objects.create(
        facility=other_fac, paying_municipality=w["other_ward"], year=2026, month=4
    )
    Claim.objects.filter(pk=theirs.pk).update(status=ClaimStatus.SUBMITTED)
    officer = f.user(Role.MUNICIPAL_PAYMENTS, municipality=ward)
    claims = list(ward_sync.ward_claims(officer))
    assert [(c.pk, c.status) for c in claims] == [(sent.pk, ClaimStatus.PAID)]
    assert list(ward_sync.ward_claims(officer, status=ClaimStatus.SUBMITTED)) == []
    assert list(ward_sync.ward_claims(officer, year=2026, month=4)) == claims
    before = AuditEvent.objects.filter(object_type="billing.claim").count()
    assert ward_sync.claims_page(officer, limit=1) == ([sent], False)
    assert ward_sync.claims_page(officer, after=sent.pk) == ([], False)
    assert AuditEvent.objects.filter(object_type="billing.claim").count() == before + 1
    with pytest.raises(Http404):
        ward_sync.ward_claims(f.user(Role.MUNICIPAL_REVIEWER, municipality=ward))


def test_the_wards_facility_register(world, ward, reviewer):
    fac = f.facility(ward)
    f.facility(world["other_ward"])
    assert list(ward_sync.ward_facilities(reviewer)) == [fac]
    with pytest.raises(Http404):
        ward_sync.ward_facilities(f.user(Role.GUARDIAN))
