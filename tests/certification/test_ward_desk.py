"""Issue 10, the ward's desk: the queue names the applicant and the days waiting from the first
submission; the list of certified children leads to the child's certification page; the staff
navigation marks the page shown."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests import factories as f
from tests.certification.conftest import answers, evidence
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor
from tsuen.audit.models import AuditEvent
from tsuen.certification import lifecycle, services
from tsuen.certification.models import CertificationStatus
from tsuen.core import clock

pytestmark = pytest.mark.django_db

D = dt.date


def desk(client, user):
    login_with_second_factor(client, user)
    client.cookies["django_language"] = "en"
    return client


def staff(ward, role):
    user = f.user(role, municipality=ward)
    f.second_factor(user)
    return user


# --- the review queue -------------------------------------------------------------------------


def test_the_queue_names_the_applicant_and_keeps_the_first_submission_date(
    client, ward, reviewer, applicant
):
    with clock.frozen(dt.datetime(2026, 5, 1, 9, 0)):
        application = f.started_application(applicant, ward.pk)
        services.submit(applicant, application.pk, answers(), evidence())
    services.request_correction(reviewer, application.pk, "生年月日を確認してください")
    with clock.frozen(dt.datetime(2026, 5, 8, 9, 0)):
        services.submit(applicant, application.pk, answers(), None)
    application.refresh_from_db()
    assert application.submitted_at.date() == D(2026, 5, 1)  # the first submission stays
    page = desk(client, reviewer).get(reverse("certification:staff_queue")).content.decode()
    row = page[page.index(application.reference) :]
    row = row[: row.index("</tr>")]
    assert "山田 花子" in row  # the applicant (answers() declares 山田 花子)
    assert "10 days" in row  # 1 May to 11 May (the frozen today)
    assert "resubmitted on" in row


def test_days_waiting_count_from_the_first_submission_on_the_dashboard_too(ward, applicant):
    with clock.frozen(dt.datetime(2026, 4, 1, 9, 0)):
        application = f.started_application(applicant, ward.pk)
        services.submit(applicant, application.pk, answers(), evidence())
    from tsuen.reports.services import waiting

    assert waiting(ward.pk, D(2026, 5, 11)).oldest_days == 40


# --- the list of certified children -----------------------------------------------------------


@pytest.fixture
def children(ward, reviewer):
    """Three certified children of the ward (one ended), one of another ward, and a facility
    that one of them has booked."""
    _, _, aoi = f.family(
        ward,
        family_name="青木",
        given_name="葵",
        family_name_kana="アオキ",
        given_name_kana="アオイ",
    )
    _, _, ren = f.family(
        ward, family_name="佐藤", given_name="蓮", family_name_kana="サトウ", given_name_kana="レン"
    )
    _, _, mio = f.family(
        ward, family_name="鈴木", given_name="澪", family_name_kana="スズキ", given_name_kana="ミオ"
    )
    other_ward = f.municipality()
    _, _, stranger = f.family(other_ward, family_name="他区", given_name="子")
    f.certification(aoi, reviewer, number="SJ2026-00011")
    f.certification(ren, reviewer, number="SJ2026-00012")
    f.certification(
        mio,
        reviewer,
        number="SJ2025-00003",
        status=CertificationStatus.ENDED,
        ended_on=D(2026, 3, 1),
    )
    f.certification(stranger, reviewer, number="XX2026-00001")
    facility = f.facility(ward, name="ひだまり保育園")
    f.booking(ren, f.place_slot(facility, D(2026, 5, 20)), reviewer)
    return {"aoi": aoi, "ren": ren, "mio": mio, "facility": facility}


def listed(client, **query) -> str:
    response = client.get(reverse("certification:staff_children"), query)
    assert response.status_code == 200
    return response.content.decode()


def test_the_list_shows_the_wards_current_certificates_by_reading(
    client, ward, reviewer, children, django_capture_on_commit_callbacks
):
    desk(client, reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        page = listed(client)
    assert page.index("SJ2026-00011") < page.index("SJ2026-00012")  # アオキ before サトウ
    assert "SJ2025-00003" not in page  # ended: only when asked for
    assert "XX2026-00001" not in page and "他区" not in page
    assert reverse("certification:staff_fee_class", args=[children["aoi"].pk]) in page
    listed_children = AuditEvent.objects.filter(action="list", object_type="families.child")
    assert {int(e.object_id) for e in listed_children} == {children["aoi"].pk, children["ren"].pk}
    assert AuditEvent.objects.filter(action="list", object_type="certification.certification")
    assert "SJ2025-00003" in listed(client, include_ended="on")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"text": "00012"}, "SJ2026-00012"),  # part of the certificate number
        ({"text": "sj2026-00011"}, "SJ2026-00011"),  # in any case
        ({"text": "佐藤 蓮"}, "SJ2026-00012"),  # the name, family and given
        ({"text": "あおき"}, "SJ2026-00011"),  # the reading, typed in hiragana
        ({"text": "ｻﾄｳ"}, "SJ2026-00012"),  # or half-width katakana
    ],
)
def test_the_list_searches_number_name_and_reading(client, reviewer, children, query, expected):
    page = listed(desk(client, reviewer), **query)
    shown = {n for n in ("SJ2026-00011", "SJ2026-00012") if n in page}
    assert shown == {expected}


def test_the_list_searches_by_the_facility_used(client, reviewer, children):
    page = listed(desk(client, reviewer), facility=children["facility"].pk)
    assert "SJ2026-00012" in page and "SJ2026-00011" not in page
    assert "ひだまり保育園" in page  # the filter offers the ward's facilities by name


def test_a_facility_of_another_ward_or_junk_is_refused_kindly(client, reviewer, children):
    desk(client, reviewer)
    other = f.facility(f.municipality())
    for junk in (str(other.pk), "abc", "99999999999999999999999"):
        response = client.get(reverse("certification:staff_children"), {"facility": junk})
        assert response.status_code == 400
        assert "Select a valid choice" in response.content.decode()


def test_the_list_pages_fifty_at_a_time(client, ward, reviewer):
    for n in range(51):
        _, _, kid = f.family(ward, family_name_kana="ミホン", given_name_kana=f"コ{n:02d}")
        f.certification(kid, reviewer, number=f"SJ2026-{n + 100:05d}")
    desk(client, reviewer)
    first = listed(client)
    assert "51 certificates" in first and first.count("SJ2026-") == 50
    assert 'rel="next"' in first
    assert listed(client, page=2).count("SJ2026-") == 1


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.GUARDIAN, Role.FACILITY_MANAGER])
def test_who_is_no_case_worker_gets_404(client, ward, role):
    if role == Role.AUDITOR:
        user = staff(ward, role)
    elif role == Role.FACILITY_MANAGER:
        user = f.user(role, facility=f.facility(ward))
        f.second_factor(user)
    else:
        user = f.user(role)
    desk(client, user)
    assert client.get(reverse("certification:staff_children")).status_code == 404


def test_the_service_refuses_whoever_lists_no_certified_children(ward):
    from django.http import Http404

    with pytest.raises(Http404):
        lifecycle.certified_children(staff(ward, Role.AUDITOR), lifecycle.ChildrenFilters())


# --- the child's certification page -----------------------------------------------------------


def test_the_childs_page_has_the_way_back_notices_history_and_the_end(client, reviewer, children):
    aoi = children["aoi"]
    page = (
        desk(client, reviewer)
        .get(reverse("certification:staff_fee_class", args=[aoi.pk]))
        .content.decode()
    )
    assert 'class="breadcrumb"' in page
    assert reverse("certification:staff_children") in page
    cert = aoi.certifications.get()
    assert f'action="{reverse("certification:staff_notice", args=[cert.pk])}"' in page
    assert reverse("certification:staff_end", args=[aoi.pk]) in page
    assert "SJ2026-00011 certified" in page  # the history


def test_the_ended_certificate_shows_its_history_and_no_end_action(client, reviewer, children):
    mio = children["mio"]
    lifecycle_cert = mio.certifications.get()
    from tsuen.certification.models import CertificationStatusChange

    CertificationStatusChange.objects.create(
        certification=lifecycle_cert,
        to_status=CertificationStatus.ENDED,
        at=clock.now(),
        by=reviewer,
        note="Moved out of the municipality",
    )
    page = (
        desk(client, reviewer)
        .get(reverse("certification:staff_fee_class", args=[mio.pk]))
        .content.decode()
    )
    assert "Moved out of the municipality" in page
    assert reverse("certification:staff_end", args=[mio.pk]) not in page


def test_the_payments_officer_reads_the_page_without_the_end(client, ward, children):
    payments = staff(ward, Role.MUNICIPAL_PAYMENTS)
    aoi = children["aoi"]
    page = (
        desk(client, payments)
        .get(reverse("certification:staff_fee_class", args=[aoi.pk]))
        .content.decode()
    )
    assert "SJ2026-00011" in page
    assert reverse("certification:staff_end", args=[aoi.pk]) not in page


def test_the_end_page_leads_back_to_the_child(client, reviewer, children):
    aoi = children["aoi"]
    page = (
        desk(client, reviewer)
        .get(reverse("certification:staff_end", args=[aoi.pk]))
        .content.decode()
    )
    assert reverse("certification:staff_fee_class", args=[aoi.pk]) in page
    assert reverse("certification:staff_children") in page


# --- the navigation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("route", "marked"),
    [
        ("certification:staff_children", "certification:staff_children"),
        ("certification:staff_queue", "certification:staff_queue"),
        ("portals:municipality", "portals:municipality"),
    ],
)
def test_the_staff_navigation_marks_the_current_page(client, reviewer, route, marked):
    page = desk(client, reviewer).get(reverse(route)).content.decode()
    nav = page[page.index('<nav class="sections"') :]
    nav = nav[: nav.index("</nav>")]
    assert nav.count('aria-current="page"') == 1
    assert f'<a href="{reverse(marked)}" aria-current="page">' in nav
