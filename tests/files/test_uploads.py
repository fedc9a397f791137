"""The one upload path: type by content, size limit, stored in the database, authorized reads."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.urls import reverse
from django.utils import translation

from tests import factories as f
from tests.files.samples import PDF, png
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor
from tsuen.audit.models import AuditEvent
from tsuen.files import blobs, services
from tsuen.files.models import Purpose, StoredFile, StoredFileBlob
from tsuen.files.services import Owner, UploadRefused, store_upload

pytestmark = pytest.mark.django_db
PNG = png()


@pytest.fixture
def family():
    muni = f.municipality()
    account, household, child = f.family(muni)
    return account, household, child, Owner(muni.pk, household_id=household.pk)


def test_a_pdf_is_stored_with_its_type_by_content(family, django_capture_on_commit_callbacks):
    account, *_, owner = family
    with django_capture_on_commit_callbacks(execute=True):
        stored = store_upload(
            account,
            SimpleUploadedFile("証明書.pdf", PDF, "image/png"),
            purpose=Purpose.FEE_EVIDENCE,
            owner=owner,
        )
    assert stored.content_type == "application/pdf"  # by content, not by the browser's claim
    assert blobs.read(stored) == PDF
    assert AuditEvent.objects.filter(object_type="files.storedfile", action="create").exists()


@pytest.mark.parametrize(
    ("name", "data", "purpose", "message"),
    [
        ("evil.pdf", b"MZ\x90\x00 not a pdf", Purpose.FEE_EVIDENCE, "この種類のファイル"),
        ("note.pdf", b"<html><script>", Purpose.DOCTOR_CERTIFICATE, "この種類のファイル"),
        ("scan.pdf", PDF, Purpose.FACILITY_PHOTO, "この種類のファイル"),
        ("empty.png", b"", Purpose.FEE_EVIDENCE, "この種類のファイル"),
    ],
)
def test_wrong_types_are_refused_and_nothing_is_written(family, name, data, purpose, message):
    account, *_, owner = family
    with translation.override("ja"), pytest.raises(UploadRefused, match=message):
        store_upload(account, SimpleUploadedFile(name, data), purpose=purpose, owner=owner)
    assert not StoredFile.objects.exists()


def test_a_file_over_the_limit_is_refused(family, monkeypatch):
    account, *_, owner = family
    monkeypatch.setattr(services, "MAX_BYTES", len(PNG) - 1)
    with pytest.raises(UploadRefused):
        store_upload(
            account, SimpleUploadedFile("big.png", PNG), purpose=Purpose.FEE_EVIDENCE, owner=owner
        )
    assert not StoredFile.objects.exists()


def test_a_failed_row_leaves_no_file(family):
    account, *_, owner = family
    with pytest.raises(IntegrityError):  # a file that belongs to no household nor facility
        store_upload(
            account,
            SimpleUploadedFile("a.pdf", PDF),
            purpose=Purpose.FEE_EVIDENCE,
            owner=Owner(owner.municipality_id),
        )
    assert not StoredFileBlob.unscoped.exists()


def test_downloads_are_authorized_and_audited(client, family, django_capture_on_commit_callbacks):
    account, household, child, owner = family
    stored = store_upload(
        account,
        SimpleUploadedFile("診断書.pdf", PDF),
        purpose=Purpose.DOCTOR_CERTIFICATE,
        owner=Owner(owner.municipality_id, household.pk, child.pk),
    )
    url = reverse("files:download", args=[stored.pk])
    client.force_login(account)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Cache-Control"] == "private, no-store"
    assert AuditEvent.objects.filter(action="download", object_id=str(stored.pk)).exists()
    stranger = f.user(Role.GUARDIAN)
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    unrelated = f.user(Role.FACILITY_STAFF, facility=f.facility(household.municipality))
    f.second_factor(unrelated)
    login_with_second_factor(client, unrelated)
    assert client.get(url).status_code == 404
