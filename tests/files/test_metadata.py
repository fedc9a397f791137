"""Photos lose their metadata: uploaded through the real forms, read back through the real
download view (staff, the public, a family), and nothing but the picture comes back."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from PIL import Image

from tests import factories as f
from tests.files.samples import GPS, jpeg_with_gps, metadata_of, png
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor
from tsuen.core import clock
from tsuen.files import blobs, images
from tsuen.files.models import Purpose, StoredFile
from tsuen.files.services import Owner, UploadRefused, store_upload

pytestmark = pytest.mark.django_db

CLEAN_JPEG = {"format": "JPEG", "text": {}, "exif": {}, "gps": {}}


def body(response) -> bytes:
    assert response.status_code == 200, response.status_code
    return b"".join(response.streaming_content)


def assert_only_pixels(data: bytes, size: tuple[int, int]) -> None:
    """No EXIF, GPS, XMP, comment or text left, and the picture turned upright."""
    meta = metadata_of(data)
    assert {k: meta[k] for k in CLEAN_JPEG} == CLEAN_JPEG
    assert not set(meta["info"]) - {"jfif", "jfif_version", "jfif_unit", "jfif_density"}
    assert meta["size"] == size
    for marker in (b"TsuenPhone", b"GPSLatitude", b"taken at home", b"Exif\x00\x00"):
        assert marker not in data


def test_the_sample_really_carries_gps():
    """A guard for the guard: the photo we upload holds what the tests say is removed."""
    meta = metadata_of(jpeg_with_gps())
    assert meta["gps"] == GPS and meta["size"] == (60, 30)
    assert {"exif", "xmp", "comment"} <= set(meta["info"])


def test_a_facility_photo_loses_its_gps_for_staff_and_the_public_alike(
    client, django_capture_on_commit_callbacks
):
    ward = f.municipality()
    facility = f.facility(ward)
    manager = f.user(Role.FACILITY_MANAGER, facility=facility)
    f.second_factor(manager)
    login_with_second_factor(client, manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("facilities:staff_profile"),
            {"action": "photo", "photo": SimpleUploadedFile("園庭.jpg", jpeg_with_gps())},
        )
    assert response.status_code == 302
    photo = StoredFile.objects.get(facility=facility, purpose=Purpose.FACILITY_PHOTO)
    url = reverse("files:download", args=[photo.pk])
    with django_capture_on_commit_callbacks(execute=True):
        staff_copy = body(client.get(url))
        public_copy = body(Client().get(url))  # anonymous: the published facility photo
    # Orientation 6 ("rotate 90° clockwise to view"): the 60x30 photo comes back 30x60.
    assert_only_pixels(staff_copy, (30, 60))
    assert public_copy == staff_copy
    assert photo.size == len(staff_copy)


def test_a_doctors_certificate_photo_loses_its_gps(client, django_capture_on_commit_callbacks):
    ward = f.municipality()
    guardian, _, child = f.family(ward)
    # A facility reads a child's certificate while certified and in a live relationship.
    f.certification(child, f.user(Role.MUNICIPAL_REVIEWER, municipality=ward))
    related = f.facility(ward)
    f.booking(child, f.place_slot(related, clock.today()), guardian)
    staff = f.user(Role.FACILITY_STAFF, facility=related)
    f.second_factor(staff)
    client.force_login(guardian)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("families:child_edit_health", args=[child.pk]),
            {
                "illnesses": "",
                "vaccinations": "",
                "certificate": SimpleUploadedFile("診断書.jpg", jpeg_with_gps(orientation=1)),
            },
        )
    assert response.status_code == 302
    certificate = StoredFile.objects.get(child=child)
    url = reverse("files:download", args=[certificate.pk])
    with django_capture_on_commit_callbacks(execute=True):
        family_copy = body(client.get(url))
        login_with_second_factor(client, staff)
        staff_copy = body(client.get(url))
    assert_only_pixels(family_copy, (60, 30))
    assert staff_copy == family_copy


def test_png_text_chunks_are_dropped_and_transparency_kept(family_owner):
    account, owner = family_owner
    source = png(text={"Author": "試験 花子", "XML:com.adobe.xmp": "<GPSLatitude/>"})
    assert metadata_of(source)["text"]  # the guard: it does carry text
    stored = store_upload(
        account, SimpleUploadedFile("a.png", source), purpose=Purpose.FEE_EVIDENCE, owner=owner
    )
    data = blobs.read(stored)
    meta = metadata_of(data)
    assert (meta["format"], meta["text"], meta["info"]) == ("PNG", {}, [])
    with Image.open(io.BytesIO(data)) as image:
        assert image.mode == "RGBA" and image.getpixel((0, 0)) == (0, 128, 0, 255)


@pytest.fixture
def family_owner():
    ward = f.municipality()
    guardian, household, child = f.family(ward)
    return guardian, Owner(ward.pk, household.pk, child.pk)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("broken.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 64),
        ("broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
        ("truncated.jpg", lambda: jpeg_with_gps()[:400]),
    ],
    ids=["broken-jpeg", "broken-png", "truncated-jpeg"],
)
def test_an_image_that_cannot_be_decoded_is_refused(family_owner, name, data):
    account, owner = family_owner
    data = data() if callable(data) else data
    with translation.override("ja"), pytest.raises(UploadRefused, match="画像を読み取れません"):
        store_upload(
            account, SimpleUploadedFile(name, data), purpose=Purpose.FEE_EVIDENCE, owner=owner
        )
    assert not StoredFile.objects.exists()


def test_too_many_pixels_is_refused_before_decoding(family_owner, monkeypatch):
    account, owner = family_owner
    monkeypatch.setattr(images, "MAX_PIXELS", 60 * 30 - 1)
    with translation.override("ja"), pytest.raises(UploadRefused, match="画像が大きすぎます"):
        store_upload(
            account,
            SimpleUploadedFile("big.jpg", jpeg_with_gps()),
            purpose=Purpose.FEE_EVIDENCE,
            owner=owner,
        )
    assert not StoredFile.objects.exists()


def test_pillows_own_bomb_warning_is_a_refusal(family_owner, monkeypatch):
    account, owner = family_owner
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 60 * 30 - 1)  # Pillow's limit below ours
    with pytest.raises(UploadRefused):
        store_upload(
            account,
            SimpleUploadedFile("big.jpg", jpeg_with_gps()),
            purpose=Purpose.FEE_EVIDENCE,
            owner=owner,
        )
    assert not StoredFile.objects.exists()
