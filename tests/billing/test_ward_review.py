"""The ward's claim review through the HTTP layer and the services: the list, the flags on
real data, the query / approve / pay state machine, the exports and the notices."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from tests import factories as f
from tests.billing import scene as s
from tests.billing.ward import payments_officer, submitted_claim
from tests.exports import support as exports
from tests.queued import queued_mail
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor
from tsuen.attendance.models import Attendance, AttendanceStatus
from tsuen.audit.models import AuditEvent
from tsuen.billing import services, services_review
from tsuen.billing.flags import Flag
from tsuen.billing.models import Claim, ClaimQuery, ClaimStatus
from tsuen.core import clock
from tsuen.facilities.models import ClosureDay

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 10, 10, 0, tzinfo=s.JST)


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _now():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def claimed():
    claim, manager, child = submitted_claim()
    officer = payments_officer(claim.paying_municipality)
    return claim, manager, child, officer


def _audited(child, **lookup) -> bool:
    """Whether an audit event matching ``lookup`` names the child (any database)."""
    return any(child.pk in e.subject_child_ids for e in AuditEvent.objects.filter(**lookup))


def _page(client, user, name, *args, **kw):
    login_with_second_factor(client, user)
    return client.get(reverse(name, args=args), kw)


# --- the list -----------------------------------------------------------------------------


def test_the_list_filters_and_totals(client, claimed):
    claim, _manager, _child, officer = claimed
    other_facility = f.facility(claim.paying_municipality, name="そら園")
    with clock.frozen(s.NOW):
        s.visit(f.family(claim.paying_municipality)[2], other_facility, dt.date(2026, 11, 6))
        [draft] = services.generate_claims(s.manager_of(other_facility), 2026, 11)
    login_with_second_factor(client, officer)
    body = client.get(reverse("billing:ward_claims")).content.decode()
    assert "ひかり保育園" in body and "そら園" not in body  # a draft stays with the facility
    assert f"<td>{claim.total_benefit + claim.total_reduction_reimbursed:,}</td>" in body
    _submit(s.manager_of(other_facility), draft.pk)
    url = reverse("billing:ward_claims")
    both = client.get(url).content.decode()
    assert "2 claims" in both and "そら園" in both
    only = client.get(url, {"facility": other_facility.pk}).content.decode()
    assert "1 claim" in only and "ひかり保育園" not in only.split("claims-results")[1]
    assert "0 claims" in client.get(url, {"status": "paid"}).content.decode()
    assert "0 claims" in client.get(url, {"year": 2026, "month": 10}).content.decode()
    assert client.get(url, {"month": 13}).status_code == 400


def test_the_list_pages_by_fifty_and_totals_every_claim(client, claimed):
    claim, _manager, _child, officer = claimed
    for n in range(50):  # earlier months' claims of the same facility, submitted
        Claim.unscoped.create(
            facility=claim.facility,
            paying_municipality=claim.paying_municipality,
            year=2020 + n // 12,
            month=n % 12 + 1,
            status=ClaimStatus.SUBMITTED,
            total_benefit=1000,
        )
    url = reverse("billing:ward_claims")
    first = _page(client, officer, "billing:ward_claims").content.decode()
    assert "51 claims" in first and first.count('href="/billing/ward/claims/') == 50
    total = claim.total_benefit + 50 * 1000
    assert f"<td>{total:,}</td>" in first  # the totals cover every page
    second = client.get(url, {"page": 2}).content.decode()
    assert second.count('href="/billing/ward/claims/') == 1 and 'rel="prev"' in second


def test_reviewers_managers_and_other_wards_do_not_see_claims(client, claimed):
    claim, manager, _child, _officer = claimed
    reviewer = payments_officer(claim.paying_municipality, Role.MUNICIPAL_REVIEWER)
    other = payments_officer(f.municipality())
    for user in (reviewer, manager, other):
        client.logout()
        assert _page(client, user, "billing:ward_claim", claim.pk).status_code == 404
        if user is not other:
            assert _page(client, user, "billing:ward_claims").status_code == 404
    # The other ward's payments officer has a list of its own, without this claim.
    own = _page(client, other, "billing:ward_claims")
    assert own.status_code == 200 and "ひかり保育園" not in own.content.decode()


# --- the flags on real data -----------------------------------------------------------------


def _flags(claim):
    lines = list(claim.lines.order_by("date"))
    found = services_review.flag_lines(claim, lines)
    return [found[line.pk] for line in lines]


def test_a_clean_claim_has_no_flags(claimed):
    assert _flags(claimed[0]) == [frozenset(), frozenset()]


def test_closure_no_show_and_ended_certification_are_flagged(claimed):
    claim, _manager, child, _officer = claimed
    ClosureDay.objects.create(facility=claim.facility, date=dt.date(2026, 11, 5))
    Attendance.objects.filter(booking__date=dt.date(2026, 11, 12)).update(
        status=AttendanceStatus.NO_SHOW
    )
    child.certifications.update(status="ended", ended_on=dt.date(2026, 11, 10))
    assert _flags(claim) == [
        frozenset({Flag.CLOSURE_DAY}),
        frozenset({Flag.NO_ATTENDANCE, Flag.NOT_CERTIFIED}),
    ]


def test_approving_a_claim_with_flagged_visits_asks_first(client, claimed):
    """A flagged claim: the approve button leads to a page listing the flagged visits; the
    service refuses without its token or when the flags changed; the confirmation approves."""
    claim, _manager, child, officer = claimed
    ClosureDay.objects.create(facility=claim.facility, date=dt.date(2026, 11, 5))
    with pytest.raises(ValidationError) as refused:
        services_review.approve(officer, claim.pk)
    assert refused.value.code == "not_confirmed"
    url = reverse("billing:ward_approve", args=[claim.pk])
    check = _page(client, officer, "billing:ward_claim", claim.pk)
    assert check.status_code == 200
    response = client.post(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="effect-flagged">1 / 2<' in body and child.given_name in body
    token = response.context["token"]
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED
    # A second flag appears after the page was shown: the old token is refused (400).
    Attendance.objects.filter(booking__date=dt.date(2026, 11, 12)).update(
        status=AttendanceStatus.NO_SHOW
    )
    assert client.post(url, {"confirm": token}).status_code == 400
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED
    token = client.post(url).context["token"]
    assert client.post(url, {"confirm": token}).status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED


def test_a_deleted_attendance_and_a_visit_elsewhere_over_the_cap(claimed):
    claim, _manager, child, _officer = claimed
    elsewhere = f.facility(claim.paying_municipality)
    # The national bucket ends at 600 minutes, but the ward's cap is 160 h a year: fill it.
    # 19 days of 8 h and one of 5 h: 9,420 of 9,600 minutes used before November.
    for month, day in [(m, d) for m in (6, 7, 8, 9, 10) for d in range(1, 5)][:19]:
        s.visit(child, elsewhere, dt.date(2026, month, day), dt.time(9), dt.time(17))
    s.visit(child, elsewhere, dt.date(2026, 10, 20), dt.time(9), dt.time(14))
    assert _flags(claim) == [frozenset(), frozenset({Flag.OVER_CAP})]
    Attendance.objects.filter(booking__date=dt.date(2026, 11, 5)).delete()
    assert _flags(claim)[0] == frozenset({Flag.NO_ATTENDANCE})


def test_the_review_page_shows_the_flags_and_is_audited(
    client, claimed, django_capture_on_commit_callbacks
):
    claim, _manager, child, officer = claimed
    ClosureDay.objects.create(facility=claim.facility, date=dt.date(2026, 11, 5))
    with django_capture_on_commit_callbacks(execute=True):
        page = _page(client, officer, "billing:ward_claim", claim.pk)
    body = page.content.decode()
    assert page.status_code == 200 and child.full_name in body
    assert "Facility closed that day" in body and "No problem found" in body
    assert _audited(child, action="read", object_type="billing.claimline")


def _many(lines: int):
    ward = s.ward()
    visits = [dt.date(2026, 11, 1 + i % 28) for i in range(lines)]
    facility = f.facility(ward, fee_per_hour=300)
    manager = s.manager_of(facility)
    children = [f.family(ward)[2] for _ in range(5)]
    for i, day in enumerate(visits):
        kid = children[i % 5]
        f.certification(kid, manager) if i < 5 else None
        s.visit(kid, facility, day, dt.time(10), dt.time(11))
    with clock.frozen(s.NOW):
        [claim] = services.generate_claims(manager, 2026, 11)
        _submit(manager, claim.pk)
    return claim, payments_officer(ward)


def test_the_review_page_query_count_is_the_same_for_5_and_50_lines(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (5, 50):
        claim, officer = _many(size)
        client.logout()
        login_with_second_factor(client, officer)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("billing:ward_claim", args=[claim.pk]))
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


# --- the steps --------------------------------------------------------------------------------


def test_query_approve_and_pay_tell_the_manager(
    client, claimed, django_capture_on_commit_callbacks
):
    claim, manager, child, officer = claimed
    line = claim.lines.order_by("date").first()
    login_with_second_factor(client, officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("billing:ward_query", args=[claim.pk]),
            {"line": line.pk, "message": "この日は休園日では？"},
        )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.QUERIED
    assert _audited(child, action="create", object_type="billing.claimquery")

    # Approving is refused while the query is open; nothing changes.
    refused = client.post(reverse("billing:ward_approve", args=[claim.pk]))
    assert refused.status_code == 400 and "open query" in refused.content.decode()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.QUERIED and claim.approved_at is None

    # The facility reads the query on its claim page and answers with a correction.
    client.logout()
    login_with_second_factor(client, manager)
    assert (
        "この日は休園日では？"
        in client.get(reverse("billing:claim", args=[claim.pk])).content.decode()
    )
    correction = services.correct_claim(manager, claim.pk)
    with django_capture_on_commit_callbacks(execute=True):
        _submit(manager, correction.pk)
    query = ClaimQuery.objects.get()
    assert query.answered_in == correction and query.answered_at is not None
    assert AuditEvent.objects.filter(
        action="update", object_type="billing.claimquery", object_id=str(query.pk)
    ).exists()
    page = client.get(reverse("billing:claim", args=[claim.pk])).content.decode()
    assert "Answered by version 2" in page

    client.logout()
    login_with_second_factor(client, officer)
    old = client.post(reverse("billing:ward_approve", args=[claim.pk]))
    assert old.status_code == 400 and "Superseded" in old.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        approved = client.post(reverse("billing:ward_approve", args=[correction.pk]))
    assert approved.status_code == 302
    correction.refresh_from_db()
    assert correction.status == ClaimStatus.APPROVED and correction.approved_at == NOW

    with django_capture_on_commit_callbacks(execute=True):
        paid = client.post(
            reverse("billing:ward_pay", args=[correction.pk]), {"paid_on": "2026-12-10"}
        )
    assert paid.status_code == 302
    correction.refresh_from_db()
    assert correction.status == ClaimStatus.PAID
    assert correction.paid_at.astimezone(s.JST).date() == dt.date(2026, 12, 10)
    [queried, paid_notice] = queued_mail()
    assert queried[0] == paid_notice[0] == manager.email
    # In the manager's language (Japanese by default).
    assert "照会" in queried[1] and "支払" in paid_notice[1]
    assert "令和8年11月5日" in queried[2] and "この日は" not in queried[2]
    assert "令和8年12月10日" in paid_notice[2]
    # The worker renders them when it sends them, from what was kept (notices.md): nothing
    # was rendered in the request.
    from django_tasks_db.models import DBTaskResult

    for row in DBTaskResult.objects.all():
        assert row.args_kwargs["kwargs"]["notice"] and row.args_kwargs["args"][1:] == ["", ""]
    assert (
        AuditEvent.objects.filter(
            action="update", object_type="billing.claim", object_id=str(correction.pk)
        ).count()
        >= 2
    )


def _unchanged(claim):
    before = Claim.objects.values().get(pk=claim.pk)
    return lambda: Claim.objects.values().get(pk=claim.pk) == before


@pytest.mark.parametrize(
    ("status", "route", "data", "message"),
    [
        (ClaimStatus.APPROVED, "billing:ward_approve", {}, "Only a submitted claim"),
        (ClaimStatus.PAID, "billing:ward_approve", {}, "Only a submitted claim"),
        (ClaimStatus.SUBMITTED, "billing:ward_pay", {"paid_on": "2026-12-10"}, "Only an approved"),
        (ClaimStatus.QUERIED, "billing:ward_pay", {"paid_on": "2026-12-10"}, "Only an approved"),
        (ClaimStatus.PAID, "billing:ward_pay", {"paid_on": "2026-12-10"}, "Only an approved"),
        (ClaimStatus.APPROVED, "billing:ward_pay", {"paid_on": "2026-12-11"}, "future"),
        (ClaimStatus.APPROVED, "billing:ward_pay", {"paid_on": "2026-11-30"}, "before the"),
        (ClaimStatus.APPROVED, "billing:ward_pay", {"paid_on": "tomorrow"}, "payment date"),
        (ClaimStatus.APPROVED, "billing:ward_query", {"message": "x"}, "Only a submitted claim"),
        (ClaimStatus.SUBMITTED, "billing:ward_query", {"message": " "}, "should check"),
        (ClaimStatus.SUBMITTED, "billing:ward_query", {"message": "x", "line": 0}, "Choose a"),
    ],
)
def test_a_step_in_the_wrong_state_is_refused_and_changes_nothing(
    client, claimed, status, route, data, message
):
    claim, _manager, _child, officer = claimed
    claim.status = status
    claim.approved_at = dt.datetime(2026, 12, 1, 10, tzinfo=s.JST)
    claim.save()
    if route == "billing:ward_query":
        data = {"line": claim.lines.first().pk} | data
    unchanged = _unchanged(claim)
    login_with_second_factor(client, officer)
    response = client.post(reverse(route, args=[claim.pk]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert unchanged() and not ClaimQuery.objects.exists()


# --- exports ------------------------------------------------------------------------------------


@pytest.fixture
def approved(claimed):
    claim, _manager, child, officer = claimed
    services_review.approve(officer, claim.pk)
    # A facility whose name would be a formula in Excel.
    other = f.facility(claim.paying_municipality, name="=HYPERLINK(1)")
    s.visit(child, other, dt.date(2026, 11, 20))
    with clock.frozen(s.NOW):
        [second] = services.generate_claims(s.manager_of(other), 2026, 11)
    _submit(s.manager_of(other), second.pk)
    services_review.approve(officer, second.pk)
    services_review.mark_paid(officer, second.pk, dt.date(2026, 12, 10))
    return claim, second, officer


def _export(client, kind: str, month: int = 11):
    return exports.exported(
        client, reverse("billing:ward_export"), {"year": 2026, "month": month, "format": kind}
    )


def test_csv_export_parses_with_bom_and_is_formula_safe(
    client, approved, django_capture_on_commit_callbacks
):
    claim, second, officer = approved
    login_with_second_factor(client, officer)
    with django_capture_on_commit_callbacks(execute=True):
        name, raw, archive = _export(client, "csv")
    assert name == "claims-202611.csv"
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == services_review.export_headers() and rows[0][1] == "Facility number"
    by_name = {r[2]: r for r in rows[1:]}
    assert set(by_name) == {"ひかり保育園", "'=HYPERLINK(1)"}
    first = by_name["ひかり保育園"]
    assert first[0] == "2026-11" and first[1] == claim.facility.facility_number
    assert first[7:10] == [
        str(claim.total_benefit),
        str(claim.total_reduction_reimbursed),
        str(claim.total_benefit + claim.total_reduction_reimbursed),
    ]
    assert first[11] == "2026-12-10" and first[12] == ""
    assert by_name["'=HYPERLINK(1)"][12] == "2026-12-10"
    events = AuditEvent.objects.filter(action="export", object_type="billing.claim")
    assert {e.object_id for e in events} == {str(claim.pk), str(second.pk)}
    # The file handed out is the ZIP: its SHA-256 is recorded.
    assert {e.document_sha256 for e in events} == {hashlib.sha256(archive).hexdigest()}


def test_xlsx_export_reads_back(client, approved):
    claim, _second, officer = approved
    login_with_second_factor(client, officer)
    name, data, _ = _export(client, "xlsx")
    assert name == "claims-202611.xlsx"
    book = load_workbook(io.BytesIO(data))
    rows = list(book.active.iter_rows(values_only=True))
    assert list(rows[0]) == services_review.export_headers()
    by_name = {r[2]: r for r in rows[1:-1]}  # the last row: the totals
    assert set(by_name) == {"ひかり保育園", "'=HYPERLINK(1)"}
    assert by_name["ひかり保育園"][9] == claim.total_benefit + claim.total_reduction_reimbursed
    assert by_name["'=HYPERLINK(1)"][6] == "Paid"


def test_export_leaves_out_unapproved_claims_and_refuses_bad_input(client, claimed):
    _claim, _manager, _child, officer = claimed
    login_with_second_factor(client, officer)
    _name, rows, _ = _export(client, "csv")
    assert len(rows.decode("utf-8-sig").strip().splitlines()) == 1  # the headers only
    url = reverse("billing:ward_export")
    for bad in (
        {"year": 2026, "month": 13, "format": "csv"},
        {"year": 2026, "month": 11, "format": "pdf"},
    ):
        assert exports.ask(client, url, bad).status_code == 400
    assert client.get(url, {"year": 2026, "month": 11, "format": "csv"}).status_code == 405


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        (Role.MUNICIPAL_PAYMENTS, True),
        (Role.MUNICIPAL_ADMIN, True),
        (Role.MUNICIPAL_REVIEWER, False),
    ],
)
def test_the_ward_nav_links_claims_for_payments_and_admin(client, role, shown):
    user = payments_officer(f.municipality(), role)
    body = _page(client, user, "portals:municipality").content.decode()
    assert (f'href="{reverse("billing:ward_claims")}"' in body) is shown


def _submit(manager, claim_id):
    """Submit as the facility does: confirming the effects shown."""
    token = services.submit_effects(manager, claim_id).token
    return services.submit_claim(manager, claim_id, confirm_token=token)
