"""Searching and exporting the ward's audit log: the filters, the auditor's view without
personal values, the export and its own audit event, the chain's status, the query count."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re

import pytest
from django.urls import reverse
from django.utils import translation

from tests import factories as f
from tests.audit.helpers import committed, sealed, tamper
from tests.exports import support as exports
from tests.matrix.rows_certification import _application
from tsuen.accounts.models import Role, User
from tsuen.accounts.testing import login_with_second_factor
from tsuen.audit import Action, record, search
from tsuen.audit.models import AuditEvent
from tsuen.certification.models import ApplicationStatus
from tsuen.core import clock
from tsuen.core.context import acting_as, actor_for

pytestmark = pytest.mark.django_db

LOG = "audit:log"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def ward():
    return f.municipality(name="監査区")


def staff(role, municipality):
    account = f.user(role, municipality=municipality)
    f.second_factor(account)
    return account


@pytest.fixture
def auditor(ward):
    return staff(Role.AUDITOR, ward)


@pytest.fixture
def admin(ward):
    return staff(Role.MUNICIPAL_ADMIN, ward)


@pytest.fixture
def reviewer(ward):
    return staff(Role.MUNICIPAL_REVIEWER, ward)


@pytest.fixture
def world(ward, admin, reviewer):
    """One family with a certified child, another child, and events by a reviewer."""
    _account, household, child = f.family(
        ward,
        family_name="監査",
        given_name="秘子",
        birth_date=dt.date(2024, 2, 29),
    )
    household.address_line = "秘密町9-9-9"
    household.save()
    guardian = household.guardians.get()
    guardian.family_name, guardian.given_name, guardian.email = "守秘", "親世", "oyayo@example.jp"
    guardian.save()
    other = f.child(household, given_name="別子")
    certification = f.certification(child, admin, number="KA2026-00042")
    with committed(), sealed(), acting_as(actor_for(reviewer, "203.0.113.7")):
        record(Action.READ, child, ["family_name", "birth_date"])
        record(Action.UPDATE, guardian, ["phone"])
        record(Action.READ, other, ["given_name"])
    return {
        "child": child,
        "other": other,
        "guardian": guardian,
        "household": household,
        "certification": certification,
    }


def page(client, user, **query):
    login_with_second_factor(client, user)
    return client.get(reverse(LOG), query)


def rows(response) -> list[str]:
    """The result rows of the search page, as text."""
    body = response.content.decode()
    if 'id="audit-events"' not in body:
        return []
    table = body.split('id="audit-events"', 1)[1].split("</table>", 1)[0]
    return table.split("<tbody>", 1)[1].split("<tr>")[1:]


# --- who may search ------------------------------------------------------------------------


def test_only_the_auditor_and_the_administrator_reach_the_log(client, ward, world, reviewer):
    payments = staff(Role.MUNICIPAL_PAYMENTS, ward)
    for user in (reviewer, payments, world["household"].guardians.get().user):
        client.logout()
        if user.needs_second_factor:
            login_with_second_factor(client, user)
        else:
            client.force_login(user)
        assert client.get(reverse(LOG)).status_code == 404
        assert exports.ask(client, reverse("audit:export")).status_code == 404


def test_the_auditor_sees_identifiers_never_personal_values(client, auditor, world):
    with committed():
        response = page(client, auditor, child=world["certification"].number)
    assert response.status_code == 200
    found = rows(response)
    assert len(found) == 1
    assert "KA2026-00042" in found[0] and f"#{world['child'].pk}" in found[0]
    assert "203.0.113.7" in found[0] and "Date of birth" in found[0]
    assert "Municipal reviewer" in found[0]
    body = response.content.decode()
    child, guardian = world["child"], world["guardian"]
    for value in (
        child.family_name,
        child.given_name,
        "2024-02-29",
        "2024年2月29日",
        "Feb. 29, 2024",
        "秘密町",
        guardian.family_name,
        guardian.given_name,
        guardian.email,
    ):
        assert value not in body, value


def test_the_auditor_reaches_no_personal_page(client, auditor, world):
    """The auditor's ward holds the child, the application and the certification, and still
    every page showing them answers 404 to the auditor."""
    child, household = world["child"], world["household"]
    application = _application(
        household.guardians.get().user, household, child, ApplicationStatus.SUBMITTED
    )
    login_with_second_factor(client, auditor)
    urls = [
        reverse("families:child", args=[child.pk]),
        reverse("certification:staff_application", args=[application.pk]),
        reverse("certification:detail", args=[application.pk]),
        reverse("certification:pdf", args=[application.pk]),
        reverse("certification:notice_pdf", args=[world["certification"].pk]),
        reverse("certification:staff_fee_class", args=[child.pk]),
        reverse("certification:staff_end", args=[child.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.get(reverse("certification:staff_queue")).status_code == 404


def test_the_administrator_also_sees_the_names_and_that_is_recorded(
    client, admin, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = page(client, admin, child=str(world["child"].pk))
    assert world["child"].full_name in response.content.decode()
    listed = AuditEvent.objects.filter(
        action=Action.LIST, actor_id=admin.pk, object_type="families.child"
    )
    assert [e.object_id for e in listed] == [str(world["child"].pk)]
    assert listed[0].field_names == ["family_name", "given_name"]


def test_the_other_wards_auditor_finds_nothing_of_this_ward(client, world):
    foreign = staff(Role.AUDITOR, f.municipality(name="他区"))
    with committed():
        response = page(client, foreign, child=world["certification"].number)
        assert response.status_code == 200 and rows(response) == []
        assert rows(page(client, foreign, child=str(world["child"].pk))) == []
    # Its whole log holds only its own two searches (and its logins), nothing of the ward's.
    found = [row for row in rows(page(client, foreign)) if "Logged in" not in row]
    assert len(found) == 2 and all("Audit chain head" in row for row in found)
    assert not any("families." in row or "KA2026-00042" in row for row in found)


# --- each filter ---------------------------------------------------------------------------


def test_search_by_child_certificate_or_id(client, auditor, reviewer, world):
    # Each search is itself an event about the child, so count the reviewer's events only.
    by_number = rows(page(client, auditor, child="KA2026-00042", staff_email=reviewer.email))
    by_id = rows(page(client, auditor, child=str(world["child"].pk), staff_email=reviewer.email))
    assert len(by_number) == len(by_id) == 1
    other = rows(page(client, auditor, child=str(world["other"].pk), staff_email=reviewer.email))
    assert len(other) == 1 and "Given name" in other[0]
    assert rows(page(client, auditor, child="NO-SUCH-NUMBER")) == []


def test_search_by_guardian_email(client, auditor, world):
    found = rows(page(client, auditor, guardian_email="OYAYO@example.jp"))
    assert len(found) == 1 and "Phone" in found[0]
    assert rows(page(client, auditor, guardian_email="nobody@example.jp")) == []


def test_search_by_staff_member(client, auditor, reviewer, admin, world):
    found = rows(page(client, auditor, staff_email=reviewer.email))
    assert len(found) == 3 and all(reviewer.email in row for row in found)
    assert rows(page(client, auditor, staff_email=reviewer.email.upper())) == found
    # An address stored as written, not in lower case, is found too (the fallback).
    User.objects.filter(pk=reviewer.pk).update(email="Rev.Iewer@Example.jp")
    assert len(rows(page(client, auditor, staff_email="rev.iewer@example.jp"))) == 3
    assert rows(page(client, auditor, staff_email=admin.email)) == []


def test_search_by_action_kind_and_object_type(client, auditor, world):
    assert len(rows(page(client, auditor, kind="reads"))) == 2
    changes = rows(page(client, auditor, kind="changes"))
    assert len(changes) == 1 and "Guardian" in changes[0]
    assert len(rows(page(client, auditor, kind="update"))) == 1
    assert rows(page(client, auditor, kind="delete")) == []
    assert len(rows(page(client, auditor, object_type="families.child"))) == 2
    assert len(rows(page(client, auditor, object_type="families.guardian"))) == 1


def test_objects_and_fields_read_as_words_in_japanese(client, auditor, world):
    """No model label (families.child, axes.accessattempt) or field identifier (birth_date) on
    the Japanese page: the filter offers tsuen's objects by name, rows name objects and fields."""
    login_with_second_factor(client, auditor)
    with translation.override("ja"):
        response = client.get(
            reverse(LOG), {"object_type": "families.child"}, headers={"accept-language": "ja"}
        )
    body = response.content.decode()
    row = "".join(rows(response))
    assert "こども" in row and "姓" in row and "生年月日" in row and "名" in row
    for raw in ("families.child", "birth_date", "family_name", "accessattempt", "axes."):
        assert raw not in row and f">{raw}<" not in body, raw
    assert re.search(r'<option value="families.child"[^>]*>こども</option>', body)


def test_the_period_is_inclusive_in_japan_time(client, auditor, ward, reviewer):
    # 2026-03-31 23:30 JST is 14:30 UTC on the 31st; 2026-04-01 00:10 JST is 15:10 UTC.
    with acting_as(actor_for(reviewer)), committed():
        for moment in (
            dt.datetime(2026, 3, 31, 23, 30),
            dt.datetime(2026, 4, 1, 0, 10),
            dt.datetime(2026, 4, 30, 23, 59, 59),
            dt.datetime(2026, 5, 1, 0, 0),
        ):
            with clock.frozen(moment):
                record(Action.READ, ward)

    def count(**period):
        return len(rows(page(client, auditor, staff_email=reviewer.email, **period)))

    assert count(date_from="2026-04-01", date_to="2026-04-30") == 2
    assert count(date_from="2026-03-31", date_to="2026-03-31") == 1
    assert count(date_to="2026-03-31") == 1
    assert count(date_from="2026-05-01") == 1
    april = rows(page(client, auditor, staff_email=reviewer.email, date_to="2026-04-01"))
    assert len(april) == 2 and "1 Apr 2026" in april[0] and "2026-04-01T00:10:00+09:00" in april[0]


def test_bad_input_is_refused_and_nothing_is_written(client, auditor, world):
    login_with_second_factor(client, auditor)  # a login is itself an audit event
    before = AuditEvent.objects.count()
    with committed():
        response = client.get(reverse(LOG), {"date_from": "2026-05-02", "date_to": "2026-05-01"})
        assert response.status_code == 400
        assert "The period ends before it starts." in response.content.decode()
        response = exports.ask(client, reverse("audit:export"), {"date_from": "not a date"})
        assert response.status_code == 400
        assert client.get(reverse(LOG), {"kind": "bogus"}).status_code == 400
    assert AuditEvent.objects.count() == before


def test_results_are_newest_first_and_paginated(client, auditor, ward, reviewer):
    with acting_as(actor_for(reviewer)), committed():
        for day in range(1, 56):
            with clock.frozen(dt.datetime(2026, 1, 1) + dt.timedelta(hours=day)):
                record(Action.READ, ward)
    first = page(client, auditor, staff_email=reviewer.email)
    found = rows(first)
    assert len(found) == 50
    assert "2026-01-03T07:00:00+09:00" in found[0]  # 55 hours after 1 January, newest
    assert 'rel="next"' in first.content.decode()
    second = rows(client.get(reverse(LOG), {"staff_email": reviewer.email, "page": 2}))
    assert len(second) == 5 and "2026-01-01T01:00:00+09:00" in second[-1]


# --- the log of the log, the chain, the query count ----------------------------------------


def test_a_search_is_itself_recorded(client, auditor, world):
    with committed():
        page(client, auditor, child="KA2026-00042", kind="reads")
    event = AuditEvent.objects.filter(actor_id=auditor.pk, action=Action.LIST).get()
    assert event.object_type == "audit.auditchainhead"
    assert event.municipality_id == auditor.municipality_id
    assert event.subject_child_ids == [world["child"].pk]
    # "who looked at this child's access history?" finds the search
    assert AuditEvent.objects.touching_child(world["child"]).filter(actor_id=auditor.pk).exists()


def test_a_search_or_a_page_turn_does_not_reread_the_chain(client, auditor, world):
    body = page(client, auditor, action="read").content.decode()
    assert 'id="chain-ok"' not in body and 'id="chain-broken"' not in body
    assert f'href="{reverse(LOG)}"' in body  # the way back to a verification


def test_the_chain_status_is_shown_ok_or_first_broken_event(client, auditor, world):
    body = page(client, auditor).content.decode()
    assert 'id="chain-ok"' in body and "3 events checked" in body
    target = AuditEvent.objects.in_municipality(auditor.municipality_id).get(seq=2)
    tamper("UPDATE audit_auditevent SET source_address = %s WHERE id = %s", ["10.0.0.1", target.pk])
    body = client.get(reverse(LOG)).content.decode()
    assert 'id="chain-broken"' in body
    assert f"id {target.pk}, sequence number 2 (hash mismatch)" in body


def test_the_first_look_of_a_long_chain_verifies_its_latest_events(
    client, auditor, world, monkeypatch
):
    """A ward's chain of millions cannot be read within a request: the page checks the latest
    events and says so; the daily verify_audit_chain checks the whole chain."""
    monkeypatch.setattr(search, "VERIFY_LATEST", 2)
    body = page(client, auditor).content.decode()
    assert 'id="chain-ok"' in body
    assert "the latest 2 events checked (sequence numbers 2 to 3)" in body
    events = AuditEvent.objects.in_municipality(auditor.municipality_id)
    tamper(
        "UPDATE audit_auditevent SET source_address = %s WHERE id = %s",
        ["10.0.0.1", events.get(seq=3).pk],
    )
    body = client.get(reverse(LOG)).content.decode()
    assert 'id="chain-broken"' in body and "sequence number 3 (hash mismatch)" in body


def test_the_count_stops_at_the_cap_and_the_pages_are_the_newest_events(
    client, auditor, ward, reviewer, monkeypatch
):
    """Counting a ward's whole log on every page costs more than the page: beyond the cap the
    page says "more than", and its pages are those an exact count gives, up to the cap."""
    with acting_as(actor_for(reviewer)), committed():
        for hour in range(1, 66):
            with clock.frozen(dt.datetime(2026, 1, 1) + dt.timedelta(hours=hour)):
                record(Action.READ, ward)

    def pages(cap):
        monkeypatch.setattr(search, "COUNT_CAP", cap)
        first = page(client, auditor, staff_email=reviewer.email)
        second = client.get(reverse(LOG), {"staff_email": reviewer.email, "page": 2})
        cells = [[row.split("</tr>", 1)[0] for row in rows(each)] for each in (first, second)]
        return first.content.decode(), *cells

    body, exact_first, exact_second = pages(1000)
    assert "65 events" in body and 'id="audit-capped"' not in body
    assert len(exact_first) == 50 and len(exact_second) == 15
    body, first, second = pages(60)
    assert "More than 60 events" in body and 'id="audit-capped"' in body
    assert first == exact_first  # the newest fifty, in the same order
    assert second == exact_second[:10]  # then up to the cap
    assert "2026-01-03T17:00:00+09:00" in first[0]  # 65 hours after 1 January, newest


def test_the_query_count_does_not_grow_with_the_log(
    client, auditor, admin, ward, reviewer, django_assert_max_num_queries
):
    def families(n):
        with acting_as(actor_for(reviewer)), committed():
            for _ in range(n):
                _, household, child = f.family(ward)
                f.certification(child, admin)
                record(Action.READ, child, ["given_name"])
                record(Action.UPDATE, household.guardians.get(), ["phone"])

    families(3)
    login_with_second_factor(client, admin)
    # Session and second factor, the page and its count, the accounts, the certificate
    # numbers, the names (administrator) and their event (the rows' wards, the insert), the
    # chain head (created here) and the search's own event, the ward's code, the unsealed
    # count, the chain head and its events, the live emergency switches (tsuen.incident).
    with django_assert_max_num_queries(22) as small:
        assert client.get(reverse(LOG)).status_code == 200
    families(60)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse(LOG))
    assert len(rows(response)) == 50


# --- export --------------------------------------------------------------------------------


def test_the_export_is_a_protected_csv_with_bom_of_the_search_and_is_itself_audited(
    client, auditor, world
):
    login_with_second_factor(client, auditor)
    with committed():
        name, data, archive = exports.exported(
            client, reverse("audit:export"), {"child": "KA2026-00042"}
        )
    assert name.startswith("audit-log-") and name.endswith(".csv")
    assert data.startswith("\ufeff".encode())
    table = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(table) == 1
    line = table[0]
    assert line["certificate_numbers"] == "KA2026-00042"
    assert line["subject_child_ids"] == str(world["child"].pk)
    assert line["action"] == "read" and line["object_type"] == "families.child"
    assert line["field_names"] == "birth_date family_name"
    assert line["source_address"] == "203.0.113.7"
    assert line["actor_role"] == "municipal_reviewer"
    assert line["date_wareki"].startswith("令和")
    text = data.decode("utf-8-sig")
    for value in (world["child"].given_name, "2024-02-29", "秘密町", world["guardian"].email):
        assert value not in text
    export = AuditEvent.objects.get(actor_id=auditor.pk, action=Action.EXPORT)
    assert export.document_sha256 == hashlib.sha256(archive).hexdigest()
    assert export.object_type == "audit.auditchainhead"
    assert export.subject_child_ids == [world["child"].pk]
    download = AuditEvent.objects.get(actor_id=auditor.pk, action=Action.DOWNLOAD)
    assert download.document_sha256 == export.document_sha256
    assert download.subject_child_ids == [world["child"].pk]


def test_the_export_holds_every_matching_event_beyond_one_page(client, admin, ward, reviewer):
    with acting_as(actor_for(reviewer)), sealed():
        for _ in range(1203):
            record(Action.READ, ward)
    login_with_second_factor(client, admin)
    with committed():
        _name, data, _ = exports.exported(
            client, reverse("audit:export"), {"staff_email": reviewer.email}
        )
    table = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(table) == 1203
    assert [int(r["seq"]) for r in table] == sorted((int(r["seq"]) for r in table), reverse=True)


def test_the_search_page_sends_its_filters_to_the_export(client, auditor, world):
    login_with_second_factor(client, auditor)
    body = page(client, auditor, child="KA2026-00042", kind="reads").content.decode()
    form = body.split('id="export-form"', 1)[1].split("</form>", 1)[0]
    assert 'name="child" value="KA2026-00042"' in form and 'name="kind" value="reads"' in form
    assert 'name="csrfmiddlewaretoken"' in form and 'name="request_id"' in form


# --- navigation ----------------------------------------------------------------------------


def nav_links(client) -> list[str]:
    body = client.get(reverse("portals:municipality")).content.decode()
    nav = body.split('<nav class="sections"', 1)[1].split("</nav>", 1)[0]
    return [part.split('"', 1)[0] for part in nav.split('href="')[1:]]


def test_the_auditor_nav_holds_only_what_the_auditor_may_open(client, auditor, admin, reviewer):
    login_with_second_factor(client, auditor)
    links = nav_links(client)
    assert links == [
        reverse("portals:municipality"),
        reverse("reports:dashboard"),
        reverse("municipalities:policy"),
        reverse(LOG),
        reverse("retention:index"),
        reverse("monitoring:anomalies"),
        reverse("opsreport:report", args=[auditor.municipality_id]),
        reverse("incident:blast"),
    ]
    assert all(client.get(link).status_code == 200 for link in links)
    login_with_second_factor(client, admin)
    assert {reverse(LOG), reverse("monitoring:anomalies")} <= set(nav_links(client))
    login_with_second_factor(client, reviewer)
    assert {reverse(LOG), reverse("monitoring:anomalies")}.isdisjoint(nav_links(client))


def test_events_left_unsealed_too_long_are_named_as_such_not_as_tampering(
    client, auditor, world, reviewer
):
    """The sequencer stopped: the page says the events wait to be sealed, and whom to tell."""
    six_minutes_ago = clock.now() - dt.timedelta(minutes=6)
    with clock.frozen(six_minutes_ago), committed(), acting_as(actor_for(reviewer, "203.0.113.7")):
        record(Action.READ, world["child"], ["given_name"])
    body = page(client, auditor).content.decode()
    assert 'id="chain-unsealed"' in body and 'id="chain-broken"' not in body
    assert re.search(
        r"\d+ events? (is|are) waiting to be sealed into the chain for more than five", body
    )
    assert "may not be running" in body
