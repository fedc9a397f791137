"""Issue 12 item 3 (council item 1): the purpose notice, consent before sensitive data is saved
(refused in the service on every sensitive write path), a new notice version asking again,
withdrawal, and the household's disclosure (開示請求) as JSON and PDF, audited."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests import factories as f
from tests.certification.conftest import answers, evidence
from tsuen.accounts.models import Role
from tsuen.attendance.models import MorningNote
from tsuen.audit.models import AuditEvent
from tsuen.certification import services as certification
from tsuen.certification.models import Application
from tsuen.consent import notice as notices
from tsuen.consent.models import Consent
from tsuen.consent.services import ConsentRequired, has_consent
from tsuen.core import clock
from tsuen.families import services as families
from tsuen.families.models import ProxyGrant
from tsuen.files.models import StoredFile

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\n"


def notice_url(household) -> str:
    return reverse("consent:notice", args=[household.pk])


# --- refused without consent, in the service, on every sensitive write path ------------------


def test_every_sensitive_profile_write_is_refused_without_consent(family):
    guardian, household, child = family
    refused = [
        lambda: families.update_meals(
            guardian, child.pk, allergies=["卵"], meal_requirements="豚肉なし"
        ),
        lambda: families.update_health(guardian, child.pk, illnesses=["喘息"], vaccinations=[]),
        lambda: families.update_health(
            guardian,
            child.pk,
            illnesses=[],
            vaccinations=[],
            certificate=SimpleUploadedFile("診断書.pdf", PDF, content_type="application/pdf"),
        ),
        lambda: families.update_development(guardian, child.pk, development_notes="言葉が早い"),
    ]
    for write in refused:
        with pytest.raises(ConsentRequired) as caught:
            write()
        assert caught.value.url == reverse("consent:notice", args=[household.pk])
    child.refresh_from_db()
    assert child.allergies in ([], None) and not child.meal_requirements
    assert child.illnesses in ([], None) and not child.development_notes
    assert not StoredFile.objects.filter(child=child).exists()
    # Not sensitive: who picks the child up is kept without the notice.
    families.update_pickup(guardian, child.pk, pickup_persons=["祖母 山田和子"])
    child.refresh_from_db()
    assert child.pickup_persons == ["祖母 山田和子"]


def test_the_application_and_its_fee_evidence_are_refused_without_consent(ward):
    applicant = f.user(Role.GUARDIAN)
    application = certification.start(applicant, ward.pk)
    for write in (
        lambda: certification.save_draft(applicant, application.pk, answers()),
        lambda: certification.save_draft(applicant, application.pk, answers(), evidence()),
        lambda: certification.submit(applicant, application.pk, answers(), evidence()),
    ):
        with pytest.raises(ConsentRequired):
            write()
    application.refresh_from_db()
    assert application.status == "draft" and application.fee_evidence is None
    assert application.entries["children"] == []
    assert not StoredFile.objects.filter(household=application.household).exists()
    # Agreeing (the applicant has no guardian row yet) opens the form.
    certification_consent = f.consent(application.household, applicant)
    assert certification_consent.notice_version == notices.current_notice().version
    certification.submit(applicant, application.pk, answers(), evidence())
    assert Application.objects.get(pk=application.pk).status == "submitted"


def test_the_section_page_leads_to_the_notice_and_explains_a_refusal(client, family):
    guardian, household, child = family
    client.force_login(guardian)
    client.cookies["django_language"] = "en"
    page = reverse("families:child_edit_meals", args=[child.pk])
    shown = client.get(page).content.decode()
    assert f'href="{notice_url(household)}?next={page}"' in shown
    posted = client.post(page, {"allergies": "卵", "meal_requirements": ""})
    assert "must read the purpose notice" in posted.content.decode()
    child.refresh_from_db()
    assert not child.allergies


def test_starting_an_application_shows_the_notice_first(client, ward):
    applicant = f.user(Role.GUARDIAN)
    client.force_login(applicant)
    response = client.post(reverse("certification:start"), {"municipality": ward.pk})
    application = Application.objects.get(applicant=applicant)
    edit = reverse("certification:edit", args=[application.pk])
    assert response.url == f"{notice_url(application.household)}?next={edit}"
    assert "consent-needed" in client.get(edit).content.decode()


# --- agreeing ------------------------------------------------------------------------------


def test_the_notice_says_what_why_who_how_long_and_how_to_ask(client, family):
    guardian, household, _child = family
    client.force_login(guardian)
    client.cookies["django_language"] = "ja"
    page = client.get(notice_url(household)).content.decode()
    for words in (
        "利用目的",
        "集める情報",
        "利用する目的",
        "見る人",
        "保存期間",
        "開示",
        "訂正",
        "撤回",
    ):
        assert words in page, words
    assert household.municipality.name in page


def test_consent_is_recorded_with_version_time_person_and_household(client, family):
    guardian, household, child = family
    client.force_login(guardian)
    with clock.frozen(dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.UTC)):
        response = client.post(notice_url(household), {"agree": "yes", "version": "1"})
    assert response.status_code == 302
    consent = Consent.objects.get(household=household)
    assert (consent.notice_version, consent.given_by, consent.withdrawn_at) == (1, guardian, None)
    assert consent.given_at == dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.UTC)
    event = AuditEvent.objects.get(object_type="consent.consent", action="create")
    assert child.pk in event.subject_child_ids
    assert sorted(event.field_names) == ["given_at", "notice_version"]
    families.update_meals(guardian, child.pk, allergies=["卵"], meal_requirements="")
    # Twice: refused with the reason, still one consent.
    client.cookies["django_language"] = "en"
    again = client.post(notice_url(household), {"agree": "yes", "version": "1"})
    assert again.status_code == 400 and "already agreed" in again.content.decode()
    assert Consent.objects.filter(household=household).count() == 1


def test_agreeing_needs_the_box_ticked_and_the_version_read(client, family):
    guardian, household, _child = family
    client.force_login(guardian)
    client.cookies["django_language"] = "en"
    unticked = client.post(notice_url(household), {"version": "1"})
    assert unticked.status_code == 400 and "Tick the box" in unticked.content.decode()
    stale = client.post(notice_url(household), {"agree": "yes", "version": "0"})
    assert stale.status_code == 400 and "changed while you were reading" in stale.content.decode()
    assert not Consent.objects.exists()


def test_a_new_notice_version_asks_again(client, family, monkeypatch):
    guardian, household, child = family
    f.consent(household, guardian)
    assert has_consent(household.pk)
    monkeypatch.setattr(
        notices,
        "NOTICES",
        (*notices.NOTICES, notices.PurposeNotice(2, dt.date(2027, 4, 1), "consent/notice_v1.html")),
    )
    with clock.frozen(dt.datetime(2027, 3, 31, 12, 0, tzinfo=dt.UTC)):
        assert has_consent(household.pk)  # version 2 is not in effect yet
    with clock.frozen(dt.datetime(2027, 4, 2, 12, 0, tzinfo=dt.UTC)):
        assert not has_consent(household.pk)
        with pytest.raises(ConsentRequired):
            families.update_meals(guardian, child.pk, allergies=["卵"], meal_requirements="")
        client.force_login(guardian)
        client.cookies["django_language"] = "en"
        assert "The notice has changed" in client.get(notice_url(household)).content.decode()
        assert (
            client.post(notice_url(household), {"agree": "yes", "version": "2"}).status_code == 302
        )
        families.update_meals(guardian, child.pk, allergies=["卵"], meal_requirements="")
    assert sorted(Consent.objects.values_list("notice_version", flat=True)) == [1, 2]


def test_a_proxy_reads_the_notice_but_only_a_guardian_agrees(client, family):
    guardian, household, child = family
    proxy = f.user(Role.PROXY)
    ProxyGrant.objects.create(household=household, user=proxy, granted_by=guardian)
    client.force_login(proxy)
    client.cookies["django_language"] = "en"
    page = client.get(notice_url(household))
    assert page.status_code == 200 and "Only a guardian" in page.content.decode()
    assert client.post(notice_url(household), {"agree": "yes", "version": "1"}).status_code == 404
    assert client.get(reverse("consent:disclosure_json", args=[household.pk])).status_code == 404
    with pytest.raises(ConsentRequired):
        families.update_meals(proxy, child.pk, allergies=["卵"], meal_requirements="")
    f.consent(household, guardian)
    families.update_meals(proxy, child.pk, allergies=["卵"], meal_requirements="")


def test_withdrawal_stops_new_sensitive_data_and_keeps_what_is_held(client, family):
    guardian, household, child = family
    f.consent(household, guardian)
    families.update_meals(guardian, child.pk, allergies=["卵"], meal_requirements="")
    client.force_login(guardian)
    client.cookies["django_language"] = "en"
    url = reverse("consent:withdraw", args=[household.pk])
    assert "is not deleted" in client.get(url).content.decode()  # says what happens first
    assert client.post(url).status_code == 302
    consent = Consent.objects.get(household=household)
    assert consent.withdrawn_at is not None and consent.withdrawn_by == guardian
    with pytest.raises(ConsentRequired):
        families.update_meals(guardian, child.pk, allergies=["乳"], meal_requirements="")
    child.refresh_from_db()
    assert child.allergies == ["卵"]  # what was held stays
    twice = client.post(url)
    assert twice.status_code == 400 and "no consent to withdraw" in twice.content.decode()
    assert AuditEvent.objects.filter(object_type="consent.consent", action="update").count() == 1


def test_other_families_and_staff_get_404(client, ward, family):
    guardian, household, _child = family
    other, _household, _kid = f.family(ward)
    reviewer = f.user(Role.MUNICIPAL_REVIEWER, municipality=ward)
    f.second_factor(reviewer)
    routes = [
        notice_url(household),
        reverse("consent:withdraw", args=[household.pk]),
        reverse("consent:disclosure_json", args=[household.pk]),
        reverse("consent:disclosure_pdf", args=[household.pk]),
    ]
    client.force_login(other)
    for route in routes:
        assert client.get(route).status_code == 404, route
    assert client.post(notice_url(household), {"agree": "yes", "version": "1"}).status_code == 404
    assert not Consent.objects.filter(household=household).exists()
    # Withdrawing someone else's consent: 404 for another family and for a proxy.
    f.consent(household, guardian)
    proxy = f.user(Role.PROXY)
    ProxyGrant.objects.create(household=household, user=proxy, granted_by=guardian)
    for account in (other, proxy):
        client.force_login(account)
        assert client.post(routes[1]).status_code == 404
    assert has_consent(household.pk)


# --- disclosure (開示請求) -------------------------------------------------------------------


def test_the_json_holds_the_household_and_nothing_of_others(client, held):
    guardian, household, _child = held
    client.force_login(guardian)
    response = client.get(reverse("consent:disclosure_json", args=[household.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="disclosure-')
    data = json.loads(response.content)
    assert data["household"][0]["city"] == "新宿区"
    assert data["guardians"][0]["given_name"] == "花子"
    [kid] = data["children"]
    assert kid["given_name"] == "一花" and kid["allergies"] == ["卵", "そば"]  # decrypted
    assert kid["development_notes"] == "言葉が早い"
    assert data["certifications"][0]["number"] == "SJ2026-00007"
    assert len(data["bookings"]) == 2 and data["bookings"][0]["facility"] == "ひだまり保育園"
    assert data["attendance"][0]["status"] == "present"
    assert data["morning_notes"][0]["health"] == "少し咳"
    assert [r["notes"] for r in data["daily_records"]] == ["よく遊びました"]  # no draft
    assert data["interviews"][0]["message_to_family"] == "持ち物は不要です"
    assert data["consents"][0]["notice_version"] == 1
    assert len(data["fees"]) == 1
    text = response.content.decode()
    for not_theirs in ("別子", "えび", "職員だけのメモ", "下書きのメモ"):
        assert not_theirs not in text, not_theirs


def test_the_request_is_one_audit_event_naming_the_household(client, held):
    guardian, household, child = held
    client.force_login(guardian)
    before = AuditEvent.objects.count()
    client.get(reverse("consent:disclosure_json", args=[household.pk]))
    [event] = (
        AuditEvent.objects.all()[before:]
        if False
        else AuditEvent.objects.filter(action="export", object_type="families.household")
    )
    assert AuditEvent.objects.count() == before + 1
    assert event.subject_child_ids == [child.pk]
    assert event.subject_guardian_ids == [household.guardians.get().pk]
    assert event.actor_id == guardian.pk and len(event.document_sha256) == 64


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "disclosure.pdf"
    path.write_bytes(data)
    out = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return re.sub(r"\s+", "", out)


def test_the_pdf_reads_in_japanese_with_wareki(client, held, tmp_path):
    guardian, household, _child = held
    client.force_login(guardian)
    client.cookies["django_language"] = "ja"
    response = client.get(reverse("consent:disclosure_pdf", args=[household.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    (tmp_path / "out.pdf").write_bytes(response.content)
    text = pdf_text(response.content, tmp_path)
    for words in (
        "保有個人情報",
        "試験一花",
        "卵",
        "そば",
        "言葉が早い",
        "SJ2026-00007",
        "ひだまり保育園",
        "令和",
    ):
        assert words in text, words
    for not_theirs in ("別子", "えび", "職員だけのメモ", "下書きのメモ"):
        assert not_theirs not in text, not_theirs
    assert AuditEvent.objects.filter(action="export", object_type="families.household").count() == 1


def test_the_morning_note_health_is_refused_without_consent(client, ward, family):
    """The day's health (an illness, a fever) is sensitive too: the morning note asks first."""
    from tsuen.attendance import services as attendance

    guardian, household, child = family
    facility = f.facility(ward)
    visit = f.booking(child, f.place_slot(facility, dt.date(2026, 12, 1)), guardian)
    morning = dt.datetime(2026, 12, 1, 8, 0)
    note = dict(health="少し咳があります", temperature="37.1", pickup_person="試験 花子（母）")
    with clock.frozen(morning):
        with pytest.raises(ConsentRequired):
            attendance.write_morning_note(guardian, visit.pk, **note)
        assert not MorningNote.objects.exists()
        client.force_login(guardian)
        client.cookies["django_language"] = "en"
        page = reverse("attendance:morning_note", args=[visit.pk])
        assert f"{notice_url(household)}?next={page}" in client.get(page).content.decode()
        f.consent(household, guardian)
        attendance.write_morning_note(guardian, visit.pk, **note)
    assert MorningNote.objects.get(booking=visit).health == "少し咳があります"


#: What version 1 of the notice says, rendered for a ward called 〇〇区, per language. A changed
#: text (template or translation) must be a new version that asks every household again.
PUBLISHED = {
    1: {
        "ja": "f568d09283f3f90e89a48a6be4dbf82d1e9cdd7d8ab72c4e228d197eaf616fe0",
        "en": "47048007afcecaf671cbd07ef27ac5794d398d4631bdd50dd09168bba8128dcb",
    },
}


def test_a_published_notice_never_changes_silently():
    import hashlib

    from django.template.loader import render_to_string
    from django.utils import translation

    for notice in notices.NOTICES:
        for language, expected in PUBLISHED[notice.version].items():
            with translation.override(language):
                html = render_to_string(notice.template, {"municipality_name": "〇〇区"})
            digest = hashlib.sha256(html.encode()).hexdigest()
            assert digest == expected, (
                f"notice version {notice.version} ({language}) changed ({digest}): publish a new "
                "version in tsuen/consent/notice.py instead of editing this one"
            )
