"""The municipality's side (request a correction, reject, certify), the status page in every
status, certificate numbers and validity, and the PDF copy."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
from django.http import Http404
from django.urls import reverse
from django.utils import translation

from tests import factories as f
from tests.certification.conftest import answers, evidence
from tsuen.accounts.models import Role
from tsuen.certification import services
from tsuen.certification.models import ApplicationStatus, Certification
from tsuen.core import clock
from tsuen.municipalities.models import MunicipalPolicy
from tsuen.rules import national_default_policy

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """These tests read the refusal messages in English (the Japanese ones are checked in the
    browser and page tests)."""
    with translation.override("en"):
        yield


def submitted(ward, applicant=None, **child):
    applicant = applicant or f.user(Role.GUARDIAN)
    application = f.started_application(applicant, ward.pk)
    return services.submit(applicant, application.pk, answers(**child), evidence())


def status_page(client, application) -> str:
    client.force_login(application.applicant)
    client.cookies["django_language"] = "en"
    response = client.get(reverse("certification:detail", args=[application.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_status_page_for_a_draft(client, ward, applicant):
    application = f.started_application(applicant, ward.pk)
    page = status_page(client, application)
    assert "Where it stands: Draft" in page or "Where it stands: 下書き" in page
    assert "has not been sent yet" in page
    assert reverse("certification:edit", args=[application.pk]) in page
    assert reverse("certification:pdf", args=[application.pk]) not in page


def test_status_page_for_a_submitted_application(client, ward, applicant):
    application = submitted(ward, applicant)
    page = status_page(client, application)
    assert "is reviewing it" in page
    assert reverse("certification:edit", args=[application.pk]) not in page
    assert reverse("certification:pdf", args=[application.pk]) in page


def test_status_page_for_a_correction_request(client, ward, applicant, reviewer):
    application = submitted(ward, applicant)
    services.request_correction(reviewer, application.pk, "住所の番地を確認してください")
    page = status_page(client, application)
    assert "asks you to correct the application" in page
    assert "住所の番地を確認してください" in page
    assert "Correct and send again" in page


def test_status_page_for_a_certified_application(client, ward, applicant, reviewer):
    application = submitted(ward, applicant)
    _certify(reviewer, application.pk)
    page = status_page(client, application)
    assert "Certified." in page
    assert "SJ2026-00001" in page
    assert "11 May 2026" in page and "8 Apr 2027" in page
    assert "一花" in page


def test_status_page_for_a_rejected_application(client, ward, applicant, reviewer):
    application = submitted(ward, applicant)
    _reject(reviewer, application.pk, "区外に転出済みのため")
    page = status_page(client, application)
    assert "was not certified" in page
    assert "区外に転出済みのため" in page
    application.refresh_from_db()
    assert application.decided_at is not None


def test_the_list_shows_where_each_application_stands(client, ward, applicant, reviewer):
    first = submitted(ward, applicant)
    _certify(reviewer, first.pk)
    f.started_application(applicant, ward.pk)
    client.force_login(applicant)
    page = client.get(reverse("certification:list")).content.decode()
    assert page.count("certification:detail") == 0  # urls, not names
    assert first.reference in page
    assert page.count('class="status status-') == 2


def test_certificate_numbers_are_unique_and_sequential_within_the_municipality(ward, reviewer):
    other = f.municipality(code="13114", name="中野区", certificate_prefix="NK")
    other_reviewer = f.user(Role.MUNICIPAL_REVIEWER, municipality=other)
    # an existing certificate (e.g. from before tsuen): the serial continues after it
    kid = f.child(f.household(ward))
    f.certification(kid, reviewer, number="SJ2026-00007")
    two_children = f.started_application(f.user(Role.GUARDIAN), ward.pk)
    entries = answers()
    entries["children"].append(
        dict(entries["children"][0], given_name="二葉", birth_date="2025-03-01")
    )
    two_children = services.submit(two_children.applicant, two_children.pk, entries, evidence())
    numbers = [c.number for c in _certify(reviewer, two_children.pk)]
    numbers += [c.number for c in _certify(reviewer, submitted(ward).pk)]
    assert numbers == ["SJ2026-00008", "SJ2026-00009", "SJ2026-00010"]
    nakano = f.started_application(f.user(Role.GUARDIAN), other.pk)
    entries = answers()
    entries["address"]["postal_code"] = "164-0001"
    nakano = services.submit(nakano.applicant, nakano.pk, entries, evidence())
    [first_in_nakano] = _certify(other_reviewer, nakano.pk)
    assert first_in_nakano.number == "NK2026-00001"
    assert Certification.objects.filter(number__startswith="SJ").count() == 4


def test_validity_runs_from_the_first_eligible_day_to_the_last(ward, reviewer):
    # born 2024-04-10: eligible now, until two days before the third birthday
    [older] = _certify(reviewer, submitted(ward).pk)
    assert (older.valid_from, older.valid_to) == (dt.date(2026, 5, 11), dt.date(2027, 4, 8))
    # born 2026-02-01: six months old on 2026-07-31 (the day before the 6-month anniversary)
    [baby] = _certify(reviewer, submitted(ward, birth_date="2026-02-01").pk)
    assert (baby.valid_from, baby.valid_to) == (dt.date(2026, 7, 31), dt.date(2029, 1, 30))


def test_validity_follows_a_ward_extension_to_the_fiscal_year_end(ward, reviewer):
    policy = MunicipalPolicy.from_rules(ward, national_default_policy(2026), dt.date(2026, 4, 1))
    policy.eligibility_end = "fiscal_year_end_age_3"
    policy.buckets = [
        *policy.buckets,
        {"payer": "ward", "period": "month", "limit_minutes": 600, "national": False},
    ]
    policy.save()
    [extended] = _certify(reviewer, submitted(ward).pk)
    assert extended.valid_to == dt.date(2028, 3, 31)


def test_a_child_who_aged_out_before_the_decision_is_not_certified(ward, reviewer):
    application = submitted(ward, birth_date="2023-05-20")  # eligible until 2026-05-18
    with clock.frozen(dt.datetime(2026, 5, 25, 9)), pytest.raises(services.ApplicationInvalid):
        _certify(reviewer, application.pk)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert not Certification.objects.exists()


def test_only_reviewers_and_administrators_of_the_ward_decide(ward):
    application = submitted(ward)
    other = f.municipality(code="13114", name="中野区")
    outsiders = [
        f.user(Role.MUNICIPAL_PAYMENTS, municipality=ward),
        f.user(Role.AUDITOR, municipality=ward),
        f.user(Role.MUNICIPAL_REVIEWER, municipality=other),
        application.applicant,
    ]
    for outsider in outsiders:
        with pytest.raises(Http404):
            _certify(outsider, application.pk)
        with pytest.raises(Http404):
            _reject(outsider, application.pk, "x")
        with pytest.raises(Http404):
            services.request_correction(outsider, application.pk, "x")
    admin = f.user(Role.MUNICIPAL_ADMIN, municipality=ward)
    assert _certify(admin, application.pk)


def test_decisions_follow_the_status(ward, reviewer):
    application = submitted(ward)
    with pytest.raises(services.ApplicationInvalid):
        services.request_correction(reviewer, application.pk, "   ")
    with pytest.raises(services.ApplicationInvalid):
        _reject(reviewer, application.pk, "")
    _certify(reviewer, application.pk)
    for decide in (
        lambda: _certify(reviewer, application.pk),
        lambda: _reject(reviewer, application.pk, "late"),
        lambda: services.request_correction(reviewer, application.pk, "late"),
    ):
        with pytest.raises(services.ApplicationInvalid):
            decide()
    draft = f.started_application(f.user(Role.GUARDIAN), ward.pk)
    with pytest.raises(services.ApplicationInvalid):
        _certify(reviewer, draft.pk)


def test_a_child_with_an_active_certification_is_not_certified_twice(ward, reviewer, applicant):
    first = submitted(ward, applicant)
    _certify(reviewer, first.pk)
    again = f.started_application(applicant, ward.pk)
    entries = answers()
    entries["children"][0]["child_id"] = first.entries["children"][0]["child_id"]
    again.entries = entries  # the family applies again for the same child
    again.save()
    again = services.submit(applicant, again.pk, None, evidence())
    with pytest.raises(services.ApplicationInvalid) as refused:
        _certify(reviewer, again.pk)
    assert "already holds an active certification" in " ".join(refused.value.messages)


def test_the_pdf_copy_shows_the_application_in_japanese_with_wareki(
    client, ward, applicant, tmp_path
):
    application = submitted(ward, applicant)
    client.force_login(applicant)
    response = client.get(reverse("certification:pdf", args=[application.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    path = tmp_path / "copy.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    for expected in (
        "乳児等支援給付認定申請書",
        application.reference,
        "山田 花子",
        "ヤマダ イチカ",
        "令和6年4月10日",  # the child's birth date in 和暦
        "平成4年6月1日",  # the guardian's
        "令和8年5月11日",  # submitted on
        "東京都新宿区新宿1-1-1",
        "〒160-0022",
    ):
        assert expected in text, expected
    fonts = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, check=True, text=True
    ).stdout
    assert "IPAexGothic" in fonts
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(path), str(tmp_path / "p")],
        check=True,
    )
    assert (tmp_path / "p-1.png").stat().st_size > 5000
    assert (
        client.get(
            reverse("certification:pdf", args=[f.started_application(applicant, ward.pk).pk])
        ).status_code
        == 404
    )  # a draft has no copy yet


def test_the_postal_endpoint_answers_json(client, ward, applicant):
    client.force_login(applicant)
    found = client.get(reverse("certification:postal", args=["1600022"])).json()
    assert found == {
        "found": True,
        "postal_code": "160-0022",
        "prefecture": "東京都",
        "city": "新宿区",
        "town": "新宿",
        "municipality_code": "13104",
        "municipality_id": ward.pk,
    }
    missing = client.get(reverse("certification:postal", args=["0000000"]))
    assert (missing.status_code, missing.json()) == (404, {"found": False})


def _certify(staff, application_id, numbers=None):
    """Certify as the desk does: confirming the effects shown."""
    token = services.decision_effects(staff, application_id, "certify").token
    return services.certify(staff, application_id, numbers, confirm_token=token)


def _reject(staff, application_id, reason):
    """Reject as the desk does: confirming the effects shown."""
    token = services.decision_effects(staff, application_id, "reject").token
    return services.reject(staff, application_id, reason, confirm_token=token)
