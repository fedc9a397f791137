"""The ward's review desk: the queue, the application page and its decisions, the notice PDF."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess

import pytest
from django.urls import reverse
from django.utils import translation

from tests import factories as f
from tests.certification.conftest import answers, evidence
from tests.exports import support as exports
from tests.matrix.rows_certification import _application
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor
from tsuen.audit.models import AuditEvent
from tsuen.certification import services
from tsuen.certification.models import Application, ApplicationStatus, Certification
from tsuen.core import clock
from tsuen.core.wareki import wareki

pytestmark = pytest.mark.django_db


def submitted(ward, **child) -> Application:
    applicant = f.user(Role.GUARDIAN)
    application = f.started_application(applicant, ward.pk)
    return services.submit(applicant, application.pk, answers(**child), evidence())


def desk(client, user):
    login_with_second_factor(client, user)
    client.cookies["django_language"] = "en"
    return client


def test_the_queue_lists_waiting_applications_oldest_first(client, ward, reviewer):
    with clock.frozen(dt.datetime(2026, 5, 1, 9, 0)):
        older = submitted(ward, family_name_kana="アオキ", given_name_kana="イチカ")
    newer = submitted(ward, family_name_kana="サトウ", given_name_kana="ニコ")
    decided = submitted(ward)
    _reject(reviewer, decided.pk, "住所が区外です")
    page = desk(client, reviewer).get(reverse("certification:staff_queue")).content.decode()
    assert page.index(older.reference) < page.index(newer.reference)
    assert decided.reference not in page


def test_the_queue_filters_by_status_dates_and_kana(client, ward, reviewer):
    with clock.frozen(dt.datetime(2026, 5, 1, 9, 0)):
        first = submitted(ward, family_name_kana="アオキ", given_name_kana="イチカ")
    second = submitted(ward, family_name_kana="サトウ", given_name_kana="ニコ")
    services.request_correction(reviewer, second.pk, "生年月日を確認してください")
    desk(client, reviewer)
    url = reverse("certification:staff_queue")

    def shown(**query):
        return client.get(url, query).content.decode()

    page = shown(status="correction_requested")
    assert second.reference in page and first.reference not in page
    page = shown(submitted_to="2026-05-05")
    assert first.reference in page and second.reference not in page
    page = shown(submitted_from="2026-05-05")
    assert second.reference in page and first.reference not in page
    page = shown(kana="さとう")  # hiragana finds the katakana reading
    assert second.reference in page and first.reference not in page


def _many(ward, n):
    for _ in range(n):
        account, household, child = f.family(ward)
        _application(account, household, child, ApplicationStatus.SUBMITTED)


def test_the_queue_query_count_does_not_grow(client, ward, reviewer, django_assert_max_num_queries):
    _many(ward, 20)
    desk(client, reviewer)
    url = reverse("certification:staff_queue")
    with django_assert_max_num_queries(20) as few:
        assert client.get(url).status_code == 200
    _many(ward, 180)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert "200 applications waiting" in response.content.decode()


def test_the_application_page_shows_the_household_and_evidence(client, ward, reviewer):
    application = submitted(ward)
    response = desk(client, reviewer).get(
        reverse("certification:staff_application", args=[application.pk])
    )
    page = response.content.decode()
    assert "一花" in page and "新宿1-1-1" in page
    assert reverse("files:download", args=[application.fee_evidence_id]) in page


def test_certify_through_the_page(client, ward, reviewer, django_capture_on_commit_callbacks):
    application = submitted(ward)
    desk(client, reviewer)
    url = reverse("certification:staff_certify", args=[application.pk])
    # The first post shows what will be decided and certifies nothing.
    check = client.post(url)
    assert check.status_code == 200 and "一花" in check.content.decode()
    assert not Certification.objects.filter(application=application).exists()
    assert client.post(url, {"confirm": "stale"}).status_code == 400
    assert not Certification.objects.filter(application=application).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"confirm": check.context["effects"].token}, follow=True)
    page = response.content.decode()
    certification = Certification.objects.get(application=application)
    assert f"Certified: {certification.number}." in page
    assert f'action="{reverse("certification:staff_notice", args=[certification.pk])}"' in page
    application.refresh_from_db()
    assert application.status == ApplicationStatus.CERTIFIED
    # Certifying again is refused with a message and writes nothing.
    response = client.post(reverse("certification:staff_certify", args=[application.pk]))
    assert response.status_code == 400
    assert "Only a submitted application can be certified." in response.content.decode()
    assert Certification.objects.filter(application=application).count() == 1


def _certify_with(client, application, number):
    child = application.children.get().child
    url = reverse("certification:staff_certify", args=[application.pk])
    check = client.post(url, {f"number-{child.pk}": number})
    token = check.context["effects"].token
    return client.post(url, {f"number-{child.pk}": number, "confirm": token}), child


def test_a_number_the_ward_already_gave_is_kept(client, ward, reviewer):
    application = submitted(ward)
    response, child = _certify_with(desk(client, reviewer), application, " SJ2026-00042 ")
    assert response.status_code == 302
    assert Certification.objects.get(child=child).number == "SJ2026-00042"
    # Automatic numbers continue after it, never on it.
    later = submitted(ward)
    _certify(reviewer, later.pk)
    assert Certification.objects.get(application=later).number == "SJ2026-00043"


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("SJ2026-00001", "is already used in this municipality"),
        ("NK2026-00099", "is not a certificate number of this municipality"),
        ("SJ26-1", "is not a certificate number of this municipality"),
        ("SJ2026-00000", "is not a certificate number of this municipality"),
        ("SJ2099-00001", "names fiscal year 2099, but this certification is decided in fiscal"),
        ("SJ2025-00001", "names fiscal year 2025, but this certification is decided in fiscal"),
    ],
)
def test_a_certificate_number_already_used_or_malformed_is_refused(
    client, ward, reviewer, number, message
):
    first = submitted(ward)
    _certify(reviewer, first.pk)  # takes SJ2026-00001
    application = submitted(ward)
    response, child = _certify_with(desk(client, reviewer), application, number)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert number in response.content.decode()  # kept in the field to correct it
    assert not Certification.objects.filter(child=child).exists()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED


def test_the_certify_form_shows_and_checks_the_shape_of_this_years_number(client, ward, reviewer):
    application = submitted(ward)
    page = desk(client, reviewer).get(
        reverse("certification:staff_application", args=[application.pk])
    )
    html = page.content.decode()
    assert 'placeholder="SJ2026-00001"' in html
    assert 'pattern="SJ2026-[0-9]{5}"' in html


def test_a_number_of_another_fiscal_year_is_refused_by_the_service(ward, reviewer):
    application = submitted(ward)
    child_id = application.children.get().child_id
    with (
        translation.override("en"),
        pytest.raises(services.ApplicationInvalid, match="names fiscal year 2025"),
    ):
        _certify(reviewer, application.pk, {child_id: "SJ2025-00001"})
    assert not Certification.objects.filter(application=application).exists()


def test_in_april_the_new_fiscal_year_numbers_start_again(ward, reviewer):
    with clock.frozen(dt.datetime(2027, 3, 31, 10, 0)):
        march = submitted(ward)
        [last_of_year] = _certify(reviewer, march.pk)
    with clock.frozen(dt.datetime(2027, 4, 1, 10, 0)):
        april = submitted(ward)
        child_id = april.children.get().child_id
        with (
            translation.override("en"),
            pytest.raises(services.ApplicationInvalid, match="names fiscal year 2026"),
        ):
            _certify(reviewer, april.pk, {child_id: "SJ2026-00005"})
        [first_of_year] = _certify(reviewer, april.pk)
    assert (last_of_year.number, first_of_year.number) == ("SJ2026-00001", "SJ2027-00001")


def test_one_number_for_two_children_is_refused(ward, reviewer):
    applicant = f.user(Role.GUARDIAN)
    draft = f.started_application(applicant, ward.pk)
    entries = answers()
    entries["children"].append(entries["children"][0] | {"given_name": "二葉"})
    application = services.submit(applicant, draft.pk, entries, evidence())
    ids = [e.child_id for e in application.children.all()]
    with (
        translation.override("en"),
        pytest.raises(services.ApplicationInvalid, match="given to two children"),
    ):
        _certify(reviewer, application.pk, dict.fromkeys(ids, "SJ2026-00007"))
    assert not Certification.objects.filter(application=application).exists()


def test_request_a_correction_through_the_page(client, ward, reviewer):
    application = submitted(ward)
    desk(client, reviewer)
    url = reverse("certification:staff_request_correction", args=[application.pk])
    response = client.post(url, {"message": "  "})
    assert response.status_code == 400
    assert "Write what the family needs to correct." in response.content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    response = client.post(url, {"message": "生年月日を確認してください"}, follow=True)
    assert "The application was sent back to the family." in response.content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.CORRECTION_REQUESTED
    assert application.message_to_applicant == "生年月日を確認してください"


def test_reject_through_the_page(client, ward, reviewer):
    application = submitted(ward)
    desk(client, reviewer)
    url = reverse("certification:staff_reject", args=[application.pk])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400
    assert "Give the reason for the rejection." in response.content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    check = client.post(url, {"reason": "区外にお住まいです"})
    assert check.status_code == 200 and "区外にお住まいです" in check.content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    token = check.context["effects"].token
    response = client.post(url, {"reason": "区外にお住まいです", "confirm": token}, follow=True)
    assert "The application was rejected." in response.content.decode()
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REJECTED
    # Already decided: refused, nothing changes.
    response = client.post(url, {"reason": "もう一度"})
    assert response.status_code == 400
    assert "already been decided" in response.content.decode()
    application.refresh_from_db()
    assert application.message_to_applicant == "区外にお住まいです"


@pytest.mark.parametrize("role", [Role.MUNICIPAL_REVIEWER, Role.MUNICIPAL_PAYMENTS, Role.AUDITOR])
def test_other_ward_and_other_roles_get_404(client, ward, reviewer, role):
    application = submitted(ward)
    other_ward = f.municipality(code="13101", name="千代田区")
    if role == Role.MUNICIPAL_REVIEWER:
        staff = f.user(role, municipality=other_ward)
    else:
        staff = f.user(role, municipality=ward)
    f.second_factor(staff)
    desk(client, staff)
    for name in ("staff_application", "staff_certify"):
        method = client.post if name == "staff_certify" else client.get
        assert method(reverse(f"certification:{name}", args=[application.pk])).status_code == 404
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED


def test_reads_are_audited(client, ward, reviewer, django_capture_on_commit_callbacks):
    application = submitted(ward)
    desk(client, reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(reverse("certification:staff_application", args=[application.pk]))
    assert AuditEvent.objects.filter(actor_id=reviewer.pk, action="read").exists()


def test_the_notice_pdf_names_the_ward_number_and_validity(client, ward, reviewer, tmp_path):
    application = submitted(ward)
    [certification] = _certify(reviewer, application.pk)
    client.force_login(application.applicant)
    detail = client.get(reverse("certification:detail", args=[application.pk])).content.decode()
    url = reverse("certification:notice_pdf", args=[certification.pk])
    assert url in detail
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "notice.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "新宿区" in text
    assert certification.number in text
    assert "令和8年5月11日" in text  # valid from the day of certification
    assert wareki(certification.valid_to) in text
    assert wareki(certification.valid_to).startswith("令和9年")
    # Another family cannot fetch it; the ward's staff take it as a protected export.
    client.force_login(f.user(Role.GUARDIAN))
    assert client.get(url).status_code == 404
    client.logout()
    login_with_second_factor(client, reviewer)
    assert client.get(url).status_code == 404


def test_the_ward_takes_the_notice_as_a_protected_export(
    client, ward, reviewer, tmp_path, django_capture_on_commit_callbacks
):
    application = submitted(ward)
    [certification] = _certify(reviewer, application.pk)
    desk(client, reviewer)
    url = reverse("certification:staff_notice", args=[certification.pk])
    with django_capture_on_commit_callbacks(execute=True):
        name, data, archive = exports.exported(client, url)
    assert name == f"certification-notice-{certification.pk}.pdf"  # no number in the ZIP
    assert certification.number.encode() not in archive
    pdf = tmp_path / "notice.pdf"
    pdf.write_bytes(data)
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert certification.number in text and "新宿区" in text
    event = AuditEvent.objects.get(action="export", object_type="certification.certification")
    assert event.document_sha256 == hashlib.sha256(archive).hexdigest()
    assert event.subject_child_ids == [certification.child_id]
    # The family gets nothing through the staff route (its own is the GET above).
    client.logout()
    client.force_login(application.applicant)
    assert exports.ask(client, url).status_code == 404


def _certify(staff, application_id, numbers=None):
    """Certify as the desk does: confirming the effects shown."""
    token = services.decision_effects(staff, application_id, "certify").token
    return services.certify(staff, application_id, numbers, confirm_token=token)


def _reject(staff, application_id, reason):
    """Reject as the desk does: confirming the effects shown."""
    token = services.decision_effects(staff, application_id, "reject").token
    return services.reject(staff, application_id, reason, confirm_token=token)
