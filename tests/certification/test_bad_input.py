"""Every bad input gets a clear message in the user's language, and nothing is written."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories as f
from tests.certification.conftest import answers, evidence, post_data
from tsuen.audit.models import AuditEvent
from tsuen.certification import services
from tsuen.certification.models import Application, ApplicationStatus
from tsuen.families.models import Child, Guardian
from tsuen.files.models import StoredFile

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(client, ward, applicant):
    client.force_login(applicant)
    client.cookies["django_language"] = "en"
    application = f.started_application(applicant, ward.pk)
    return application


def snapshot(application):
    application.refresh_from_db()
    return (
        application.status,
        application.entries,
        application.fee_evidence_id,
        Child.objects.count(),
        Guardian.objects.count(),
        StoredFile.objects.count(),
        AuditEvent.objects.changes().count(),  # a re-rendered form may record its reads
    )


def child(**kw):
    return answers(**kw)


def guardian(**kw):
    entries = answers()
    entries["guardian"] |= kw
    return entries


def address(**kw):
    entries = answers()
    entries["address"] |= kw
    return entries


GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"

CASES = {
    "kana with kanji": (
        child(given_name_kana="一花"),
        None,
        "these characters cannot be used: 一 花",
    ),
    "guardian kana in Latin letters": (
        guardian(family_name_kana="Yamada"),
        None,
        "Enter the reading in katakana or hiragana only",
    ),
    "postal code malformed": (
        address(postal_code="160-002"),
        None,
        "Enter the postal code as seven digits, for example 160-0022.",
    ),
    "postal code in another municipality": (
        address(postal_code="231-0023"),
        evidence(),
        "is in 神奈川県横浜市中区, not in",
    ),
    "declaration missing": (
        child(declares_no_excluded_enrolment=False),
        None,
        "Confirm this declaration to apply.",
    ),
    "birth date in the future": (
        child(birth_date="2026-06-01"),
        None,
        "The date of birth is in the future.",
    ),
    "child past the age limit": (
        child(birth_date="2023-04-01"),
        evidence(),
        "the child has passed the age limit of the programme (eligible until 30 Mar 2026)",
    ),
    "evidence missing for a reduced fee": (
        answers(),
        None,
        "Upload a document that shows the household&#x27;s fee class",
    ),
    "evidence of the wrong type": (
        answers(),
        evidence("scan.gif", GIF),
        "This kind of file is not accepted. Please upload a PDF, JPEG or PNG.",
    ),
    "no child": (
        {**answers(), "children": []},
        evidence(),
        "Add at least one child.",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_explained_and_changes_nothing(client, draft, case):
    entries, upload, message = CASES[case]
    before = snapshot(draft)
    data = post_data(entries) | ({"g-fee_evidence": upload} if upload else {})
    response = client.post(reverse("certification:edit", args=[draft.pk]), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert snapshot(draft) == before
    assert before[0] == ApplicationStatus.DRAFT


def test_a_wrong_file_refuses_the_draft_save_too(client, draft):
    before = snapshot(draft)
    data = post_data(answers(), action="save") | {"g-fee_evidence": evidence("a.gif", GIF)}
    response = client.post(reverse("certification:edit", args=[draft.pk]), data)
    assert response.status_code == 200
    assert "This kind of file is not accepted" in response.content.decode()
    assert snapshot(draft) == before


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (child(given_name_kana="一花"), "these characters cannot be used"),
        (child(declares_no_excluded_enrolment=False), "confirm that the child does not attend"),
        (child(birth_date="2027-01-01"), "the date of birth is in the future"),
        (answers(), "Upload a document"),
        ({**answers(), "fee_class": "rich"}, "Choose the household's fee class."),
    ],
)
def test_the_service_enforces_the_rules_without_the_form(draft, applicant, entries, message):
    from django.utils import translation

    before = snapshot(draft)
    with translation.override("en"), pytest.raises(services.ApplicationInvalid) as refused:
        services.submit(applicant, draft.pk, entries)
    assert any(message in m for m in refused.value.messages), refused.value.messages
    assert snapshot(draft) == before


def test_messages_are_in_japanese_by_default(client, ward, applicant):
    client.force_login(applicant)
    application = f.started_application(applicant, ward.pk)
    data = post_data(child(birth_date="2026-06-01")) | {"g-fee_evidence": evidence()}
    page = client.post(reverse("certification:edit", args=[application.pk]), data)
    assert 'lang="ja"' in page.content.decode()
    assert Application.objects.get().status == ApplicationStatus.DRAFT


def test_start_explains_an_unknown_or_unserved_postal_code(client, ward, applicant):
    client.force_login(applicant)
    client.cookies["django_language"] = "en"
    url = reverse("certification:start")
    assert "was not found" in client.post(url, {"postal_code": "0000000"}).content.decode()
    assert (
        "does not take applications"
        in client.post(url, {"postal_code": "231-0023"}).content.decode()
    )
    assert "seven digits" in client.post(url, {"postal_code": "12"}).content.decode()
    assert "Enter your postal code or choose" in client.post(url, {}).content.decode()
    assert Application.objects.count() == 0
