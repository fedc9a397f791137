"""Every upload is scanned by a real clamd before it is stored; no verdict, no file.

The suite's clamd (bin/clamd) knows one signature of our own, for the EICAR test string."""

from __future__ import annotations

import hashlib
import socket
import tempfile
import threading
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from tests import factories as f
from tests.files.samples import PDF, eicar, jpeg_with_gps
from tsuen.audit.models import AuditEvent
from tsuen.files import clamav
from tsuen.files.models import Purpose, StoredFile, StoredFileBlob
from tsuen.files.services import Owner, UploadRefused, check_upload, store_upload

pytestmark = pytest.mark.django_db

MALWARE_JA = "ウイルスチェックでマルウェアが見つかった"
TRY_LATER_JA = "しばらくしてから"


@pytest.fixture
def family():
    muni = f.municipality()
    account, household, child = f.family(muni)
    return account, household, child, Owner(muni.pk, household.pk, child.pk)


def upload(account, owner, name, data, purpose=Purpose.DOCTOR_CERTIFICATE):
    return store_upload(account, SimpleUploadedFile(name, data), purpose=purpose, owner=owner)


def nothing_stored():
    return not StoredFile.unscoped.exists() and not StoredFileBlob.unscoped.exists()


# --- the suite's scanner -------------------------------------------------------------------------


def test_a_clean_file_is_accepted_and_marked_scanned(family):
    account, *_, owner = family
    stored = upload(account, owner, "診断書.pdf", PDF)
    assert stored.scan_status == "clean"
    assert StoredFileBlob.unscoped.filter(file=stored).exists()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("診断書.pdf", eicar),  # the test file itself, named like a certificate
        ("診断書.pdf", lambda: PDF + eicar()),  # inside a PDF that passes the type check
        ("写真.jpg", lambda: jpeg_with_gps(comment=eicar())),  # in a JPEG comment
    ],
)
def test_malware_is_refused_recorded_and_nothing_is_stored(
    family, name, data, django_capture_on_commit_callbacks
):
    account, _, child, owner = family
    data = data()
    with (
        translation.override("ja"),
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(UploadRefused, match=MALWARE_JA),
    ):
        upload(account, owner, name, data)
    assert nothing_stored()
    [event] = AuditEvent.objects.filter(action="malware_found")
    assert event.document_sha256 == hashlib.sha256(data).hexdigest()
    assert event.subject_child_ids == [child.pk]
    assert event.municipality_id == owner.municipality_id


def test_an_infected_certificate_on_the_health_form_is_refused_and_its_audit_row_kept(
    client, family, django_capture_on_commit_callbacks
):
    """The form's transaction rolls back; the malware event survives it (scanned before)."""
    account, _, child, _ = family
    client.force_login(account)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("families:child_edit_health", args=[child.pk]),
            {
                "illnesses": "喘息",
                "vaccinations": "",
                "certificate": SimpleUploadedFile("診断書.pdf", eicar()),
            },
            HTTP_ACCEPT_LANGUAGE="ja",
        )
    assert response.status_code in (200, 400)  # the form again, not the saved page
    assert MALWARE_JA in response.content.decode()
    assert nothing_stored()
    child.refresh_from_db()
    assert not child.illnesses  # nothing of the form was written
    assert AuditEvent.objects.filter(action="malware_found", actor_id=account.pk).count() == 1


def test_scanning_inside_a_callers_transaction_is_a_programming_error(family):
    """A malware event written inside the caller's transaction would roll back with it."""
    account, *_, owner = family
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        check_upload(
            account,
            SimpleUploadedFile("a.pdf", eicar()),
            purpose=Purpose.DOCTOR_CERTIFICATE,
            owner=owner,
        )


# --- no verdict: refused, never stored unscanned -------------------------------------------------


def test_an_upload_is_refused_while_the_scanner_is_stopped(family, settings, own_clamd):
    account, *_, owner = family
    settings.CLAMD_SOCKET = own_clamd.socket
    upload(account, owner, "一通目.pdf", PDF)  # this daemon answers
    own_clamd.stop()
    with translation.override("ja"), pytest.raises(UploadRefused, match=TRY_LATER_JA):
        upload(account, owner, "二通目.pdf", PDF)
    assert list(StoredFile.unscoped.values_list("original_name", flat=True)) == ["一通目.pdf"]
    assert StoredFileBlob.unscoped.count() == 1


def test_an_upload_is_refused_without_a_scanner_configured(family, settings):
    account, *_, owner = family
    settings.CLAMD_SOCKET = ""
    with translation.override("ja"), pytest.raises(UploadRefused, match=TRY_LATER_JA):
        upload(account, owner, "a.pdf", PDF)
    assert nothing_stored()


class StubbornDaemon:
    """A unix socket that accepts and then answers ``reply`` (or nothing at all)."""

    def __init__(self, reply: bytes | None) -> None:
        self.directory = tempfile.mkdtemp(prefix="tsuen-stub-")
        self.path = str(Path(self.directory) / "s.sock")
        self.reply = reply
        self.done = threading.Event()
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(self.path)
        self.server.listen(1)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        conn, _ = self.server.accept()
        with conn:
            if self.reply is not None:
                conn.sendall(self.reply)
            self.done.wait(30)

    def close(self) -> None:
        self.done.set()
        self.thread.join(5)
        self.server.close()


@pytest.mark.parametrize(
    "reply",
    [
        None,  # accepts, never answers: the deadline ends it
        b"INSTREAM size limit exceeded. ERROR\0",
        b"stream: OK",  # no terminating NUL, then silence
        b"something else entirely\0",
    ],
)
def test_no_verdict_refuses_the_upload(family, settings, reply):
    account, *_, owner = family
    daemon = StubbornDaemon(reply)
    settings.CLAMD_SOCKET, settings.CLAMD_TIMEOUT = daemon.path, 0.5
    try:
        with translation.override("ja"), pytest.raises(UploadRefused, match=TRY_LATER_JA):
            upload(account, owner, "a.pdf", PDF)
    finally:
        daemon.close()
    assert nothing_stored()


# --- the client ----------------------------------------------------------------------------------


def test_the_client_pings_and_scans_over_tcp_and_unix_addresses(own_clamd):
    assert clamav.ping(own_clamd.socket)
    verdict = clamav.scan(b"x" * (200 * 1024), address=own_clamd.socket, timeout=10)
    assert verdict == clamav.Verdict(clean=True)  # several chunks
    infected = clamav.scan(eicar(), address=own_clamd.socket, timeout=10)
    assert not infected.clean and "EICAR" in infected.signature


@pytest.mark.parametrize(
    ("address", "parsed"),
    [
        ("/run/clamav/clamd.ctl", (socket.AF_UNIX, "/run/clamav/clamd.ctl")),
        ("127.0.0.1:3310", (socket.AF_INET, ("127.0.0.1", 3310))),
        ("[::1]:3310", (socket.AF_INET6, ("::1", 3310))),
    ],
)
def test_addresses(address, parsed):
    assert clamav.parse_address(address) == parsed


@pytest.mark.parametrize("address", ["clamd", "host:", ":3310", "host:99999", "relative/path"])
def test_bad_addresses_are_refused(address):
    with pytest.raises(ValueError):
        clamav.parse_address(address)


def test_nobody_listening_is_no_answer():
    missing = str(Path(tempfile.mkdtemp(prefix="tsuen-none-")) / "nobody.sock")
    assert not clamav.ping(missing)
    with pytest.raises(clamav.ScannerUnavailable):
        clamav.scan(PDF, address=missing, timeout=1)
