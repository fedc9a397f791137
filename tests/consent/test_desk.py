"""Disclosure (開示請求) at the ward's desk: a paper request is recorded for a household of the
official's ward (identity check, requester, date), what will be disclosed is shown first, and
the same PDF and JSON the guardian would download are produced once, as a protected export;
every step audited; other wards, other roles, bad input and a second submission change
nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re

import pytest
from django.urls import reverse

from tests import factories as f
from tests.consent.test_consent import pdf_text
from tests.exports import support as exports
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor
from tsuen.audit.models import AuditEvent
from tsuen.consent import desk
from tsuen.consent.models import DeskDisclosureRequest
from tsuen.core import clock
from tsuen.core.wareki import wareki
from tsuen.exports.models import ProtectedExport
from tsuen.families.services import PROFILE_FIELDS
from tsuen.privacy import inventory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer(ward):
    staff = f.user(Role.MUNICIPAL_REVIEWER, municipality=ward, full_name="窓口一郎")
    f.second_factor(staff)
    return staff


def at_desk(client, user, language="en"):
    login_with_second_factor(client, user)
    client.cookies["django_language"] = language
    return client


def form(**changes) -> dict:
    data = {
        "received_on": clock.today().isoformat(),
        "identity_document": "drivers_license",
        "requester_relation": "guardian",
        "note": "窓口で受付",
        "submission": exports.request_id(),
    }
    return data | changes


def new_url(household) -> str:
    return reverse("consent:desk_new_request", args=[household.pk])


def recorded(client, household, **changes) -> DeskDisclosureRequest:
    response = client.post(new_url(household), form(**changes))
    assert response.status_code == 302, response.content.decode()[:2000]
    request = DeskDisclosureRequest.objects.get(household=household)
    assert response["Location"] == reverse("consent:desk_request", args=[request.pk])
    return request


def produce_url(request) -> str:
    return reverse("consent:desk_produce", args=[request.pk])


def produced(client, request) -> tuple[dict[str, bytes], bytes]:
    """Press "produce" with the box ticked, re-authenticate, download and open the ZIP."""
    got = exports.export(client, produce_url(request), {"confirmed": "1"})
    assert got.password, "the ZIP's password is shown once"
    archive = exports.download(client, got.token)
    return exports.open_zip(archive, got.password), archive


# --- the whole way --------------------------------------------------------------------------


def test_the_desk_finds_records_shows_and_produces_the_guardians_disclosure(
    client, held, reviewer, tmp_path
):
    _guardian, household, _child = held
    at_desk(client, reviewer)
    # Find the household by the child's reading, typed in hiragana.
    found = client.get(reverse("consent:desk_households"), {"text": "しけん いちか"})
    assert found.status_code == 200
    body = found.content.decode()
    assert new_url(household) in body and "試験 一花" in body
    assert "別子" not in body  # the other family of the ward does not match
    # Record the request.
    request = recorded(client, household, received_on=(clock.today() - dt.timedelta(days=2)))
    assert request.recorded_by == reviewer and not request.is_produced
    # The request's page says what will be disclosed before anything is produced.
    page = client.get(reverse("consent:desk_request", args=[request.pk])).content.decode()
    assert "試験 花子" in page and "試験 一花" in page
    assert "What will be disclosed" in page
    for section in ("Household", "Children", "Certifications"):
        assert section in page, section
    assert not ProtectedExport.objects.exists()
    # Produce: one ZIP with the PDF and the JSON the guardian would download.
    files, _archive = produced(client, request)
    stem = f"disclosure-{request.number}"
    assert sorted(files) == [f"{stem}.json", f"{stem}.pdf"]
    data = json.loads(files[f"{stem}.json"])
    [kid] = data["children"]
    assert kid["given_name"] == "一花" and kid["allergies"] == ["卵", "そば"]
    assert data["certifications"][0]["number"] == "SJ2026-00007"
    assert data["desk_request"]["number"] == request.number
    assert data["desk_request"]["identity_document"] == "drivers_license"
    text = pdf_text(files[f"{stem}.pdf"], tmp_path)
    received = clock.today() - dt.timedelta(days=2)
    today = clock.today()
    for words in (
        "Producedatthewarddesk",
        request.number,
        "一花",
        "卵",
        "言葉が早い",
        "SJ2026-00007",
        "運転免許証",
        f"{received.day}{received:%b}{received.year}({wareki(received)})",
        f"{today.day}{today:%b}{today.year}({wareki(today)})",
    ):
        assert words in text, words
    for not_theirs in ("別子", "えび", "職員だけのメモ", "下書きのメモ"):
        assert not_theirs not in text, not_theirs
    # The request keeps who produced the files, when, and their SHA-256.
    request.refresh_from_db()
    assert request.produced_by == reviewer and request.produced_at is not None
    assert request.pdf_sha256 == hashlib.sha256(files[f"{stem}.pdf"]).hexdigest()
    assert request.json_sha256 == hashlib.sha256(files[f"{stem}.json"]).hexdigest()
    # The ward's list shows who handled which request when, and the PDF's SHA-256.
    listed = client.get(reverse("consent:desk")).content.decode()
    assert request.number in listed and request.pdf_sha256 in listed and "窓口一郎" in listed


def test_every_step_is_audited(client, held, reviewer):
    _guardian, household, child = held
    guardian_row = household.guardians.get()
    at_desk(client, reviewer)
    client.get(reverse("consent:desk_households"), {"text": "一花"})
    listed = AuditEvent.objects.filter(action="list", actor_id=reviewer.pk)
    assert listed.filter(object_type="families.child", object_id=str(child.pk)).exists()
    assert listed.filter(object_type="families.guardian", object_id=str(guardian_row.pk)).exists()
    client.get(new_url(household))
    assert AuditEvent.objects.filter(
        action="read", object_type="families.child", object_id=str(child.pk)
    ).exists()
    request = recorded(client, household)
    [created] = AuditEvent.objects.filter(
        action="create", object_type="consent.deskdisclosurerequest"
    )
    assert created.object_id == str(request.pk) and created.actor_id == reviewer.pk
    assert created.subject_child_ids == [child.pk]
    assert created.subject_guardian_ids == [guardian_row.pk]
    assert sorted(created.field_names) == sorted(desk.REQUEST_FIELDS)
    client.get(reverse("consent:desk_request", args=[request.pk]))
    assert AuditEvent.objects.filter(
        action="read", object_type="consent.deskdisclosurerequest", object_id=str(request.pk)
    ).exists()
    _files, archive = produced(client, request)
    request.refresh_from_db()
    exported = AuditEvent.objects.filter(
        action="export", object_type="families.household", object_id=str(household.pk)
    )
    assert sorted(e.document_sha256 for e in exported) == sorted(
        [request.pdf_sha256, request.json_sha256]
    )
    assert all(e.subject_child_ids == [child.pk] for e in exported)
    zip_sha = hashlib.sha256(archive).hexdigest()
    [update] = AuditEvent.objects.filter(
        action="update", object_type="consent.deskdisclosurerequest"
    )
    assert update.document_sha256 == zip_sha
    assert AuditEvent.objects.filter(action="download", document_sha256=zip_sha).exists()
    assert all(
        e.actor_id == reviewer.pk
        for e in AuditEvent.objects.filter(action__in=["export", "create"])
    )


def test_the_ward_administrator_handles_requests_too(client, held, ward):
    _guardian, household, _child = held
    admin = f.user(Role.MUNICIPAL_ADMIN, municipality=ward)
    f.second_factor(admin)
    at_desk(client, admin)
    request = recorded(client, household)
    files, _archive = produced(client, request)
    assert len(files) == 2


# --- who may ------------------------------------------------------------------------------------


def test_other_wards_and_other_roles_get_404_and_change_nothing(client, held, ward, reviewer):
    guardian, household, _child = held
    request = desk.record_request(
        reviewer, household.pk, received_on=clock.today(), identity_document="passport",
        requester_relation="guardian", submission=exports.request_id(),
    )  # fmt: skip
    other_ward = f.municipality(name="乙区")
    facility = f.facility(ward)
    refused = {
        "other_ward_reviewer": f.user(Role.MUNICIPAL_REVIEWER, municipality=other_ward),
        "payments_officer": f.user(Role.MUNICIPAL_PAYMENTS, municipality=ward),
        "auditor": f.user(Role.AUDITOR, municipality=ward),
        "facility_staff": f.user(Role.FACILITY_STAFF, facility=facility),
        "facility_manager": f.user(Role.FACILITY_MANAGER, facility=facility),
        "national_operator": f.user(Role.NATIONAL_OPERATOR),
        "guardian": guardian,
    }
    writes = AuditEvent.objects.filter(action__in=["create", "export", "update", "download"])
    before = (DeskDisclosureRequest.objects.count(), writes.count())
    for who, account in refused.items():
        if account.needs_second_factor:
            f.second_factor(account)
        at_desk(client, account)
        ward_pages = (reverse("consent:desk"), reverse("consent:desk_households") + "?text=試験")
        for url in ward_pages:
            answer = client.get(url)
            if who == "other_ward_reviewer":  # its own ward's desk: this one is not there
                body = answer.content.decode()
                assert answer.status_code == 200, url
                assert request.number not in body and new_url(household) not in body
            else:
                assert answer.status_code == 404, (who, url)
        for url in (new_url(household), reverse("consent:desk_request", args=[request.pk])):
            assert client.get(url).status_code == 404, (who, url)
        assert client.post(new_url(household), form()).status_code == 404, who
        exports.reauthenticate(client)
        answer = client.post(produce_url(request), {"request_id": "x" * 24, "confirmed": "1"})
        assert answer.status_code == 404, who
    request.refresh_from_db()
    assert not request.is_produced and not ProtectedExport.objects.exists()
    assert (DeskDisclosureRequest.objects.count(), writes.count()) == before


def test_a_household_of_another_ward_or_none_at_all_is_not_found(client, reviewer):
    _account, elsewhere, _child = f.family(f.municipality(name="乙区"), given_name="蒼")
    at_desk(client, reviewer)
    found = client.get(reverse("consent:desk_households"), {"text": "蒼"}).content.decode()
    assert new_url(elsewhere) not in found
    assert client.get(new_url(elsewhere)).status_code == 404
    assert client.post(new_url(elsewhere), form()).status_code == 404
    missing = reverse("consent:desk_new_request", args=[elsewhere.pk + 1000])
    assert client.get(missing).status_code == 404
    assert client.post(missing, form()).status_code == 404
    assert not DeskDisclosureRequest.objects.exists()


# --- bad input, the wrong time, twice -----------------------------------------------------------


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"identity_document": ""}, "identity"),
        ({"identity_document": "library_card"}, ""),
        ({"requester_relation": ""}, ""),
        ({"received_on": ""}, ""),
        ({"received_on": (dt.date.today() + dt.timedelta(days=400)).isoformat()}, "future"),
        ({"received_on": "2020-01-01"}, "time limit"),
        ({"note": "あ" * 501}, ""),
    ],
)
def test_bad_input_is_refused_with_the_reason_and_nothing_is_written(
    client, held, reviewer, changes, message
):
    _guardian, household, _child = held
    at_desk(client, reviewer)
    before = AuditEvent.objects.filter(action="create").count()
    response = client.post(new_url(household), form(**changes))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Nothing was recorded" in body, body[:3000]
    assert message in body
    assert not DeskDisclosureRequest.objects.exists()
    assert AuditEvent.objects.filter(action="create").count() == before


def test_the_rules_of_a_paper_request():
    today = dt.date(2026, 12, 4)

    def problems(**changes):
        values = dict(
            received_on=today, identity_document="passport", requester_relation="agent", note=""
        )
        return desk.request_problems(**(values | changes), today=today)

    assert problems() == {}
    assert problems(received_on=today - dt.timedelta(days=desk.TIME_LIMIT_DAYS)) == {}
    assert set(problems(received_on=today - dt.timedelta(days=desk.TIME_LIMIT_DAYS + 1))) == {
        "received_on"
    }
    assert set(problems(received_on=today + dt.timedelta(days=1))) == {"received_on"}
    assert set(problems(received_on=None)) == {"received_on"}
    assert set(problems(identity_document="")) == {"identity_document"}
    assert set(problems(requester_relation="neighbour")) == {"requester_relation"}
    assert set(problems(note="x" * (desk.NOTE_MAX_CHARS + 1))) == {"note"}
    assert problems(note="x" * desk.NOTE_MAX_CHARS) == {}


def test_the_same_form_sent_twice_records_one_request(client, held, reviewer):
    _guardian, household, _child = held
    at_desk(client, reviewer)
    data = form()
    first = client.post(new_url(household), data)
    second = client.post(new_url(household), data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert DeskDisclosureRequest.objects.count() == 1
    assert AuditEvent.objects.filter(action="create").count() == 1


def test_a_second_request_waits_for_the_open_one(client, held, reviewer):
    _guardian, household, _child = held
    at_desk(client, reviewer)
    request = recorded(client, household)
    again = client.post(new_url(household), form())  # a new form, not yet produced one open
    assert again.status_code == 400
    assert request.number in again.content.decode()
    assert DeskDisclosureRequest.objects.count() == 1
    produced(client, request)
    # Once produced, another copy is a new request.
    client.post(new_url(household), form())
    assert DeskDisclosureRequest.objects.count() == 2


def test_a_request_is_produced_once(client, held, reviewer):
    _guardian, household, _child = held
    at_desk(client, reviewer)
    request = recorded(client, household)
    produced(client, request)
    request.refresh_from_db()
    hashes = (request.produced_at, request.pdf_sha256, request.json_sha256)
    exports_before = ProtectedExport.objects.count()
    events_before = AuditEvent.objects.filter(action="export").count()
    again = client.post(
        produce_url(request), {"request_id": exports.request_id(), "confirmed": "1"}
    )
    assert again.status_code == 400
    assert "record a new request" in again.content.decode()
    # Also when the check before the re-authentication is passed by a race: the service refuses.
    with pytest.raises(desk.DeskInvalid):
        desk.produce(reviewer, request.pk, confirmed=True, export_request_id=exports.request_id())
    request.refresh_from_db()
    assert (request.produced_at, request.pdf_sha256, request.json_sha256) == hashes
    assert ProtectedExport.objects.count() == exports_before
    assert AuditEvent.objects.filter(action="export").count() == events_before
    # The request's page says so and offers a new request instead of a button.
    page = client.get(reverse("consent:desk_request", args=[request.pk])).content.decode()
    assert 'id="desk-produce-form"' not in page and request.pdf_sha256 in page


def test_reloading_the_answer_does_not_produce_twice(client, held, reviewer):
    _guardian, household, _child = held
    at_desk(client, reviewer)
    request = recorded(client, household)
    rid = exports.request_id()
    first = exports.ask(client, produce_url(request), {"confirmed": "1"}, rid=rid)
    first = exports.reauthenticate(client, first)
    assert exports.ready(first).password
    again = exports.ask(client, produce_url(request), {"confirmed": "1"}, rid=rid)
    # The same form again: the export's page, without the password; nothing made again.
    assert exports.ready(again).password is None
    assert ProtectedExport.objects.count() == 1
    updates = AuditEvent.objects.filter(
        action="update", object_type="consent.deskdisclosurerequest"
    )
    assert updates.count() == 1


def test_producing_needs_the_box_ticked(client, held, reviewer):
    _guardian, household, _child = held
    at_desk(client, reviewer)
    request = recorded(client, household)
    exports.reauthenticate(client)
    response = client.post(produce_url(request), {"request_id": exports.request_id()})
    assert response.status_code == 400
    assert "Confirm that you checked" in response.content.decode()
    request.refresh_from_db()
    assert not request.is_produced and not ProtectedExport.objects.exists()
    with pytest.raises(desk.DeskInvalid):
        desk.produce(reviewer, request.pk, confirmed=False, export_request_id="r" * 24)
    assert client.get(produce_url(request)).status_code == 405  # GET makes no file


def test_a_request_without_an_identity_check_cannot_exist(held, reviewer):
    from django.db import IntegrityError, transaction

    _guardian, household, _child = held
    with pytest.raises(desk.DeskInvalid):
        desk.record_request(
            reviewer, household.pk, received_on=clock.today(), identity_document="",
            requester_relation="guardian", submission=exports.request_id(),
        )  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        DeskDisclosureRequest.objects.create(
            household=household, received_on=clock.today(), identity_document="",
            requester_relation="guardian", recorded_by=reviewer, recorded_at=clock.now(),
            submission="s" * 20,
        )  # fmt: skip
    assert not DeskDisclosureRequest.objects.exists()


# --- one definition of the child's profile -----------------------------------------------------


def test_the_childs_profile_fields_are_the_inventorys_and_the_disclosure_lists_them(held):
    child_fields = tuple(
        key.removeprefix("families.Child.")
        for key in inventory.entries()
        if key.startswith("families.Child.")
    )
    assert child_fields == PROFILE_FIELDS
    from tsuen.consent.disclosure import disclosure

    guardian, household, _child = held
    [children] = [s for s in disclosure(guardian, household.pk).sections if s.key == "children"]
    [row] = children.rows
    assert tuple(name for name, *_rest in row) == PROFILE_FIELDS


def test_the_desk_pages_read_in_japanese(client, held, reviewer):
    _guardian, household, _child = held
    at_desk(client, reviewer, "ja")
    request = recorded(client, household)
    for url in (
        reverse("consent:desk"),
        reverse("consent:desk_households") + "?text=試験",
        new_url(household),
        reverse("consent:desk_request", args=[request.pk]),
    ):
        body = client.get(url).content.decode()
        assert not re.search(r">\s*\d{4}-\d{2}-\d{2}\s*<", body), url
        assert "令和" in body, url


def test_the_desk_pdf_dates_show_the_era_beside_the_western_year():
    from django.utils import translation

    from tsuen.consent.disclosure import both_dates

    day = dt.date(2026, 12, 4)
    with translation.override("ja"):
        assert both_dates(day) == "令和8年12月4日（2026年12月4日）"
    with translation.override("en"):
        assert both_dates(day) == "4 Dec 2026 (令和8年12月4日)"
