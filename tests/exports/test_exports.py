"""Issue 9 item 4 (SECURITY.md items 10 and 11): a file of personal data is requested by POST,
after a fresh re-authentication (allauth, five minutes), and handed out only as an AES-256 ZIP
whose password is shown once and kept nowhere; every export and download is audited with the
ZIP's SHA-256. Shown here on the facility's claim CSV; the other exports have their own tests
(tests/billing, tests/audit, tests/certification) through the same steps."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from tests import factories as f
from tests.billing import scene as s
from tests.exports import support
from tsuen.accounts.models import Role
from tsuen.accounts.services import totp_code
from tsuen.accounts.testing import login_with_second_factor
from tsuen.audit.models import AuditEvent
from tsuen.billing import services
from tsuen.core import clock
from tsuen.exports import services as exports
from tsuen.exports.models import ProtectedExport

pytestmark = pytest.mark.django_db


@pytest.fixture
def claim():
    ward = s.ward()
    facility = f.facility(ward, fee_per_hour=300)
    manager = s.manager_of(facility)
    _guardian, _household, child = f.family(ward, given_name="暗号")
    s.visit(child, facility, dt.date(2026, 11, 5), dt.time(10), dt.time(12))
    with clock.frozen(s.NOW):
        [claim] = services.generate_claims(manager, 2026, 11)
    return claim, manager, child


def _url(claim):
    return reverse("billing:claim_csv", args=[claim.pk])


def _exports_events():
    return AuditEvent.objects.filter(action="export", object_type="billing.claim")


def test_the_zip_opens_with_the_password_shown_and_not_without(client, claim):
    claim, manager, child = claim
    login_with_second_factor(client, manager)
    got = support.export(client, _url(claim))
    assert got.response["Cache-Control"] == "no-store"
    archive = support.download(client, got.token)
    [(name, data)] = support.open_zip(archive, got.password).items()
    assert name == f"claim-202611-{claim.paying_municipality.code}-v1.csv"
    assert child.full_name in data.decode("utf-8-sig")
    with pytest.raises(RuntimeError, match="requires a password"):
        support.open_zip(archive, None)
    with pytest.raises(RuntimeError, match="Bad password"):
        support.open_zip(archive, "K7QMX-R4PAW-9HTZD-3NVEB")
    # WinZip AES, 256-bit: the local header says method 99, and the AE extra field (0x9901)
    # says AE-2, strength 3 (256-bit), the data deflated.
    assert archive[:4] == b"PK\x03\x04" and int.from_bytes(archive[8:10], "little") == 99
    assert b"\x01\x99\x07\x00\x02\x00AE\x03\x08\x00" in archive


def test_the_password_is_long_unambiguous_and_fresh_each_time():
    passwords = {exports.new_password() for _ in range(50)}
    assert len(passwords) == 50
    for password in passwords:
        groups = password.split("-")
        assert [len(g) for g in groups] == [5, 5, 5, 5]
        assert set("".join(groups)) <= set(exports.PASSWORD_ALPHABET)
    assert not set("01ILO") & set(exports.PASSWORD_ALPHABET)


def test_without_a_fresh_reauthentication_the_user_is_asked_and_nothing_is_made(client, claim):
    claim, manager, _ = claim
    login_with_second_factor(client, manager)
    response = support.ask(client, _url(claim))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate") + "?next=")
    assert not ProtectedExport.objects.exists()
    assert not _exports_events().exists()
    # A wrong password does not replay the export either.
    refused = support.reauthenticate(client, response, password="wrong")
    assert refused.status_code == 200 and 'id="export-password"' not in refused.content.decode()
    assert not ProtectedExport.objects.exists()


def test_the_second_factor_also_reauthenticates(client, claim):
    claim, _manager, _ = claim
    manager = f.user(Role.FACILITY_MANAGER, facility=claim.facility)
    secret = f.second_factor(manager)
    login_with_second_factor(client, manager)
    asked = support.ask(client, _url(claim))
    url = asked["Location"].replace(
        reverse("account_reauthenticate"), reverse("mfa_reauthenticate")
    )
    got = support.ready(client.post(url, {"code": totp_code(secret)}))
    assert got.password and ProtectedExport.objects.get().owner == manager


def test_a_reauthentication_older_than_five_minutes_is_asked_again(client, claim, settings):
    claim, manager, _ = claim
    assert settings.ACCOUNT_REAUTHENTICATION_TIMEOUT == 300
    login_with_second_factor(client, manager)
    support.reauthenticate(client)
    support.age_reauthentication(client, 290)
    assert support.ask(client, _url(claim)).status_code == 200  # 4 min 50 s ago: still fresh
    support.age_reauthentication(client, 11)
    again = support.ask(client, _url(claim))
    assert again.status_code == 302 and "reauthenticate" in again["Location"]
    assert ProtectedExport.objects.count() == 1


def test_get_makes_no_file(client, claim):
    claim, manager, _ = claim
    login_with_second_factor(client, manager)
    support.reauthenticate(client)
    response = client.get(_url(claim))
    assert response.status_code == 405 and response["Allow"] == "POST"
    assert response["Content-Type"].startswith("text/html")
    assert not ProtectedExport.objects.exists() and not _exports_events().exists()


def test_a_bad_form_id_is_refused_and_nothing_is_made(client, claim):
    claim, manager, _ = claim
    login_with_second_factor(client, manager)
    support.reauthenticate(client)
    for junk in ("", "short", "x" * 65, "<script>alert(1)</script>xxxxxxxx"):
        response = client.post(_url(claim), {"request_id": junk})
        assert response.status_code == 400
    assert not ProtectedExport.objects.exists()


def test_only_its_owner_reaches_the_zip(client, claim):
    claim, manager, _ = claim
    login_with_second_factor(client, manager)
    got = support.export(client, _url(claim))
    # The ward's payments officer may export the same claim, but not fetch this user's ZIP.
    officer = f.user(Role.MUNICIPAL_PAYMENTS, municipality=claim.paying_municipality)
    f.second_factor(officer)
    for other in (officer, s.manager_of(claim.facility)):
        client.logout()
        login_with_second_factor(client, other)
        assert client.get(reverse("exports:ready", args=[got.token])).status_code == 404
        assert client.post(reverse("exports:download", args=[got.token])).status_code == 404
    client.logout()
    assert client.post(reverse("exports:download", args=[got.token])).status_code == 302
    login_with_second_factor(client, manager)
    page = client.get(reverse("exports:ready", args=[got.token]))
    assert page.status_code == 200 and 'id="export-password"' not in page.content.decode()
    assert support.download(client, got.token)


def test_export_and_every_download_are_audited_with_the_sha256_of_the_zip(
    client, claim, django_capture_on_commit_callbacks
):
    claim, manager, child = claim
    login_with_second_factor(client, manager)
    with django_capture_on_commit_callbacks(execute=True):
        got = support.export(client, _url(claim))
        first = support.download(client, got.token)
        second = support.download(client, got.token)
    assert first == second
    digest = hashlib.sha256(first).hexdigest()
    [event] = _exports_events()
    assert event.document_sha256 == digest and event.actor_id == manager.pk
    lines = AuditEvent.objects.filter(action="export", object_type="billing.claimline")
    assert {e.document_sha256 for e in lines} == {digest}
    downloads = AuditEvent.objects.filter(action="download", object_type="exports.protectedexport")
    assert downloads.count() == 2
    assert {e.document_sha256 for e in downloads} == {digest}
    assert all(e.subject_child_ids == [child.pk] for e in downloads)
    assert {e.municipality_id for e in downloads} == {claim.paying_municipality_id}


def test_sending_the_form_again_does_not_show_the_password_again(client, claim):
    claim, manager, _ = claim
    login_with_second_factor(client, manager)
    support.reauthenticate(client)
    rid = support.request_id()
    first = support.ready(support.ask(client, _url(claim), rid=rid))
    again = support.ready(support.ask(client, _url(claim), rid=rid))  # a reload of the page
    assert first.password and again.password is None and again.token == first.token
    assert 'id="password-not-shown"' in again.response.content.decode()
    assert ProtectedExport.objects.count() == 1


def test_the_password_is_kept_nowhere(client, claim, caplog):
    claim, manager, _ = claim
    login_with_second_factor(client, manager)
    with caplog.at_level(logging.DEBUG):
        got = support.export(client, _url(claim))
    secret = got.password
    export = ProtectedExport.objects.get()
    stored = [str(getattr(export, f.attname)) for f in ProtectedExport._meta.concrete_fields]
    assert not any(secret in value for value in stored)
    assert secret.encode() not in bytes(export.zip_data)
    # The session, wherever it lives (Redis on PostgreSQL, the database on SQLite).
    sessions = [client.session.load(), *(row.get_decoded() for row in Session.objects.all())]
    assert sessions[0]  # the signed-in session itself, not an empty stand-in
    assert not any(secret in str(session) for session in sessions)
    assert not any(secret in str(v) for e in AuditEvent.objects.values() for v in e.values())
    assert not any(secret in r.getMessage() for r in caplog.records)
    assert not mail.outbox


def test_an_export_lasts_ten_minutes_then_is_gone(client, claim):
    claim, manager, _ = claim
    login_with_second_factor(client, manager)
    with clock.frozen(s.NOW):
        got = support.export(client, _url(claim))
    with clock.frozen(s.NOW + dt.timedelta(minutes=9, seconds=59)):
        assert support.download(client, got.token)
    with clock.frozen(s.NOW + dt.timedelta(minutes=10)):
        assert client.post(reverse("exports:download", args=[got.token])).status_code == 404
    assert not ProtectedExport.objects.exists()  # deleted when reached after its expiry


def test_the_purge_removes_expired_exports_only(client, claim):
    claim, manager, _ = claim
    login_with_second_factor(client, manager)
    with clock.frozen(s.NOW):
        support.export(client, _url(claim))
    with clock.frozen(s.NOW + dt.timedelta(minutes=5)):
        support.export(client, _url(claim))
    assert ProtectedExport.objects.count() == 2
    with clock.frozen(s.NOW + dt.timedelta(minutes=11)):
        out = io.StringIO()
        call_command("purge_exports", stdout=out)
    assert "Deleted 1 expired export" in out.getvalue()
    assert ProtectedExport.objects.count() == 1


def test_a_session_that_never_passed_its_second_factor_cannot_export(client, claim):
    claim, manager, _ = claim
    client.force_login(manager)  # password only: StaffSecondFactorMiddleware stops it
    response = support.ask(client, _url(claim))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))
    assert not ProtectedExport.objects.exists()
