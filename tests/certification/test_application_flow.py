"""The guardian's application, end to end through the pages: start, draft, submit, status,
correction, certification."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from tests.certification.conftest import answers, evidence, post_data
from tests.queued import queued_mail
from tsuen.audit.models import AuditEvent
from tsuen.certification import services
from tsuen.certification.models import Application, ApplicationStatus
from tsuen.families.models import Child, Guardian, HouseholdFeeClass
from tsuen.files.models import StoredFile

pytestmark = pytest.mark.django_db


class Sent:
    def __init__(self, to, subject, body):
        self.to, self.subject, self.body = to, subject, body


def queued() -> list[Sent]:
    """The emails queued for the task worker, as it will send them."""
    return [Sent([to], subject, body) for to, subject, body in queued_mail()]


def started(client, applicant) -> Application:
    client.force_login(applicant)
    response = client.post(reverse("certification:start"), {"postal_code": "１６０－００２２"})
    assert response.status_code == 302
    application = Application.objects.get(applicant=applicant)
    edit = reverse("certification:edit", args=[application.pk])
    # The purpose notice comes first (issue 12 item 3); agreeing leads on to the form.
    notice = reverse("consent:notice", args=[application.household_id])
    assert response.url == f"{notice}?next={edit}"
    agreed = client.post(notice, {"agree": "yes", "version": "1", "next": edit})
    assert agreed.status_code == 302 and agreed.url == edit
    return application


def test_the_whole_journey(client, ward, applicant, reviewer, django_capture_on_commit_callbacks):
    application = started(client, applicant)
    assert application.status == ApplicationStatus.DRAFT
    assert application.entries["address"]["city"] == "新宿区"  # filled from the postal code
    page = client.get(reverse("certification:edit", args=[application.pk]))
    assert 'value="160-0022"' in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("certification:edit", args=[application.pk]),
            post_data(answers()) | {"g-fee_evidence": evidence()},
        )
    assert response.status_code == 302
    assert response.url == reverse("certification:detail", args=[application.pk]) + "?sent=1"
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert [h.to_status for h in application.history.all()] == ["draft", "submitted"]
    guardian = Guardian.objects.get(user=applicant)
    child = Child.objects.get(household=application.household)
    assert (guardian.household_id, guardian.given_name_kana) == (application.household_id, "ハナコ")
    assert (child.family_name_kana, child.given_name_kana) == ("ヤマダ", "イチカ")
    assert application.household.prefecture == "東京都"  # filled by the server, no JS
    assert application.fee_evidence.purpose == "fee_evidence"
    assert AuditEvent.objects.filter(
        object_type="certification.application", action="update", subject_child_ids=[child.pk]
    ).exists()

    [receipt] = queued()
    assert receipt.to == ["hanako@example.jp"]
    assert application.reference in receipt.subject
    assert f"/applications/{application.pk}/" in receipt.body

    status = client.get(response.url).content.decode()
    assert "提出済み" in status or "Submitted" in status
    assert reverse("certification:pdf", args=[application.pk]) in status

    with django_capture_on_commit_callbacks(execute=True):
        [certification] = _certify(reviewer, application.pk)
    assert certification.number == "SJ2026-00001"
    assert (certification.valid_from, certification.valid_to) == (
        dt.date(2026, 5, 11),
        dt.date(2027, 4, 8),
    )
    fee_class = HouseholdFeeClass.objects.get(household=application.household)
    assert (fee_class.fee_class, fee_class.verified_by) == ("tax_exempt", reviewer)
    status = client.get(response.url).content.decode()
    assert "SJ2026-00001" in status and "令和9年4月8日" in status
    assert "SJ2026-00001" in queued()[-1].body


def test_a_draft_survives_a_new_session(ward, applicant, django_capture_on_commit_callbacks):
    first = Client()
    application = started(first, applicant)
    half = answers(given_name="", birth_date="")  # incomplete: a draft does not mind
    half["guardian"]["phone"] = ""
    response = first.post(
        reverse("certification:edit", args=[application.pk]), post_data(half, action="save")
    )
    assert response.status_code == 302
    first.logout()

    second = Client()
    second.force_login(applicant)
    page = second.get(reverse("certification:edit", args=[application.pk])).content.decode()
    assert 'value="花子"' in page and 'value="新宿商事"' in page
    assert "ヤマダ" in page  # the child's reading, normalised while saving
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DRAFT
    assert application.entries["children"][0]["declares_no_excluded_enrolment"] is True
    # Starting again finds the same draft: one open draft per municipality.
    second.post(reverse("certification:start"), {"municipality": ward.pk})
    assert Application.objects.filter(applicant=applicant).count() == 1


def test_a_draft_keeps_what_did_not_parse(client, ward, applicant):
    application = started(client, applicant)
    typed = answers(given_name_kana="Ichika", birth_date="2024-13-45")
    client.post(
        reverse("certification:edit", args=[application.pk]), post_data(typed, action="save")
    )
    application.refresh_from_db()
    child = application.entries["children"][0]
    assert (child["given_name_kana"], child["birth_date"]) == ("Ichika", "2024-13-45")


def test_add_and_remove_a_child(client, ward, applicant):
    application = started(client, applicant)
    url = reverse("certification:edit", args=[application.pk])
    response = client.post(url, post_data(answers(), action="add_child"))
    assert response.status_code == 302
    application.refresh_from_db()
    assert len(application.entries["children"]) == 2
    page = client.get(url).content.decode()
    assert 'id="child-2"' in page
    two = answers()
    two["children"].append(dict(two["children"][0], given_name="二葉", DELETE=True))
    client.post(url, post_data(two, action="save"))
    application.refresh_from_db()
    assert [c["given_name"] for c in application.entries["children"]] == ["一花"]


def test_a_correction_request_is_answered_by_resubmitting(
    client, ward, applicant, reviewer, django_capture_on_commit_callbacks
):
    application = started(client, applicant)
    url = reverse("certification:edit", args=[application.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, post_data(answers()) | {"g-fee_evidence": evidence()})
    with django_capture_on_commit_callbacks(execute=True):
        services.request_correction(reviewer, application.pk, "勤務先の名称を正式名で")
    notice = queued()[-1]
    assert application.reference in notice.subject
    assert "勤務先" not in notice.body  # the message stays behind the login
    status = client.get(reverse("certification:detail", args=[application.pk])).content.decode()
    assert "勤務先の名称を正式名で" in status
    assert url in status
    page = client.get(url).content.decode()
    assert "勤務先の名称を正式名で" in page
    application.refresh_from_db()
    child_id = application.entries["children"][0]["child_id"]
    assert f'name="c-0-child_id" value="{child_id}"' in page

    corrected = answers()
    corrected["guardian"]["workplace"] = "株式会社新宿商事"
    corrected["children"][0]["child_id"] = child_id
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, post_data(corrected))
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == ApplicationStatus.SUBMITTED
    assert [h.to_status for h in application.history.all()] == [
        "draft",
        "submitted",
        "correction_requested",
        "submitted",
    ]
    assert Guardian.objects.get(user=applicant).workplace == "株式会社新宿商事"
    assert Child.objects.filter(household=application.household).count() == 1


def test_after_submission_the_family_can_no_longer_edit(client, ward, applicant):
    application = started(client, applicant)
    url = reverse("certification:edit", args=[application.pk])
    client.post(url, post_data(answers()) | {"g-fee_evidence": evidence()})
    assert client.get(url).status_code == 404
    assert client.post(url, post_data(answers(), action="save")).status_code == 404


def test_no_reduction_needs_no_evidence(client, ward, applicant):
    application = started(client, applicant)
    plain = answers() | {"fee_class": "none"}
    response = client.post(reverse("certification:edit", args=[application.pk]), post_data(plain))
    assert response.status_code == 302
    assert StoredFile.objects.count() == 0


def _certify(staff, application_id, numbers=None):
    """Certify as the desk does: confirming the effects shown."""
    token = services.decision_effects(staff, application_id, "certify").token
    return services.certify(staff, application_id, numbers, confirm_token=token)


def _reject(staff, application_id, reason):
    """Reject as the desk does: confirming the effects shown."""
    token = services.decision_effects(staff, application_id, "reject").token
    return services.reject(staff, application_id, reason, confirm_token=token)
