"""The child profile: kept by the family, read (care fields only) by the facility caring for
the child, every read and write audited by field name; bad input changes nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from tsuen.audit.models import AuditEvent
from tsuen.core import clock
from tsuen.families import services
from tsuen.families.models import (
    Child,
    EmergencyContact,
    FeeClass,
    GrowthRecord,
    HouseholdFeeClass,
)
from tsuen.files.models import Purpose, StoredFile

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\n"
TODAY = dt.datetime(2026, 11, 26, 10, 0)


def ja(msgid: str, **params) -> str:
    """A message as the Japanese page shows it (the catalogue is merged at the end)."""
    with translation.override("ja"):
        return gettext(msgid) % params if params else gettext(msgid)


def url(name, *args):
    return reverse(f"families:{name}", args=args)


def events(**kw):
    return list(AuditEvent.objects.filter(**kw).order_by("id"))


def assert_no_values(values):
    """No audit column holds any of the values written or read."""
    for event in AuditEvent.objects.all():
        text = " ".join(
            str(getattr(event, field.attname)) for field in AuditEvent._meta.concrete_fields
        )
        for value in values:
            assert value not in text, f"{value!r} in audit event {event.pk}"


def post(client, name, child, data, capture):
    with capture(execute=True):
        return client.post(url(name, child.pk), data, HTTP_ACCEPT_LANGUAGE="ja")


# --- reading -------------------------------------------------------------------------------------


def test_the_family_sees_every_section_and_the_read_is_audited_by_field_name(
    world, as_user, django_capture_on_commit_callbacks
):
    child = world["child"]
    child.allergies, child.meal_requirements = ["卵"], "ハラール"
    child.save()
    EmergencyContact.objects.create(
        child=child, name="試験 和子", relation="祖母", phone="0311112222"
    )
    client = as_user(world["guardian"])
    with django_capture_on_commit_callbacks(execute=True):
        page = client.get(url("child", child.pk)).content.decode()
    for shown in ("一花", "卵", "ハラール", "試験 和子", url("child_edit_meals", child.pk)):
        assert shown in page
    [read] = events(action="read", object_type="families.child")
    assert {"allergies", "meal_requirements", "development_notes"} <= set(read.field_names)
    assert read.subject_child_ids == [child.pk]
    [contact] = events(action="read", object_type="families.emergencycontact")
    assert set(contact.field_names) == set(services.CONTACT_FIELDS)
    assert_no_values(["卵", "ハラール", "試験 和子", "0311112222"])


def test_a_facility_caring_for_the_child_sees_care_fields_but_never_the_fee_class(
    world, as_user, django_capture_on_commit_callbacks
):
    child = world["child"]
    child.allergies = ["そば"]
    child.save()
    HouseholdFeeClass.objects.create(
        household=world["household"],
        fee_class=FeeClass.PUBLIC_ASSISTANCE,
        valid_from=dt.date(2026, 4, 1),
    )
    certificate = StoredFile.objects.create(
        municipality=world["ward"], household=world["household"], child=child,
        purpose=Purpose.DOCTOR_CERTIFICATE, original_name="診断書.pdf",
        content_type="application/pdf",
        size=1, sha256="0" * 64, scan_status="clean",
        uploaded_by=world["guardian"],
    )  # fmt: skip
    client = as_user(world["staff"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(url("child", child.pk))
    page = response.content.decode()
    assert response.status_code == 200
    assert "そば" in page and reverse("files:download", args=[certificate.pk]) in page
    for label in FeeClass.labels:
        assert str(label) not in page
    assert "fee_class" not in page
    assert url("child_edit_meals", child.pk) not in page  # read-only for the facility
    assert not events(object_type="families.householdfeeclass")
    assert events(action="read", object_type="families.child", actor_id=world["staff"].pk)


def test_a_facility_without_a_relationship_gets_404(world, as_user):
    client = as_user(world["other_staff"])
    assert client.get(url("child", world["child"].pk)).status_code == 404


@pytest.mark.parametrize(
    "section", ["contacts", "meals", "health", "growth", "pickup", "development"]
)
def test_a_facility_cannot_edit(world, as_user, section):
    client = as_user(world["staff"])
    assert client.get(url(f"child_edit_{section}", world["child"].pk)).status_code == 404
    assert client.post(url(f"child_edit_{section}", world["child"].pk), {}).status_code == 404


def test_the_profile_page_does_not_grow_with_history(world, as_user, django_assert_max_num_queries):
    child = world["child"]
    for n in range(8):
        EmergencyContact.objects.create(
            child=child, name=f"連絡先{n}", relation="祖母", phone="0311112222", priority=n + 1
        )
        GrowthRecord.objects.create(
            child=child, measured_on=dt.date(2025, 1, n + 1), height_cm=70, weight_kg=9
        )
    client = as_user(world["guardian"])
    # 12, and the page's audit events, inserted in the request (no chain lock).
    with django_assert_max_num_queries(14):
        assert client.get(url("child", child.pk)).status_code == 200


# --- writing: good input -------------------------------------------------------------------------


def test_meals_are_saved_and_the_write_names_fields_without_values(
    world, as_user, django_capture_on_commit_callbacks
):
    child = world["child"]
    client = as_user(world["guardian"])
    response = post(
        client, "child_edit_meals", child,
        {"allergies": "卵\n\n 乳 \n", "meal_requirements": "豚肉を使わない"},
        django_capture_on_commit_callbacks,
    )  # fmt: skip
    assert response.status_code == 302
    child.refresh_from_db()
    assert child.allergies == ["卵", "乳"] and child.meal_requirements == "豚肉を使わない"
    [update] = events(action="update", object_type="families.child")
    assert update.field_names == ["allergies", "meal_requirements"]
    assert update.subject_child_ids == [child.pk]
    assert_no_values(["豚肉", "卵"])


def test_a_proxy_may_edit_too(world, as_user, django_capture_on_commit_callbacks):
    from tests import factories as f
    from tsuen.accounts.models import Role
    from tsuen.families.models import ProxyGrant

    proxy = f.user(Role.PROXY)
    ProxyGrant.objects.create(
        household=world["household"], user=proxy, granted_by=world["guardian"]
    )
    client = as_user(proxy)
    response = post(
        client,
        "child_edit_pickup",
        world["child"],
        {"pickup_persons": "試験 花子（母）"},
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 302
    world["child"].refresh_from_db()
    assert world["child"].pickup_persons == ["試験 花子（母）"]
    assert events(action="update", object_type="families.child", actor_id=proxy.pk)


def test_a_doctors_certificate_is_uploaded_with_the_health_section(
    world, as_user, django_capture_on_commit_callbacks
):
    child = world["child"]
    client = as_user(world["guardian"])
    response = post(
        client, "child_edit_health", child,
        {"illnesses": "熱性けいれん", "vaccinations": "BCG 2024-10-01",
         "certificate": SimpleUploadedFile("診断書.pdf", PDF)},
        django_capture_on_commit_callbacks,
    )  # fmt: skip
    assert response.status_code == 302
    stored = StoredFile.objects.get()
    assert (stored.child, stored.household, stored.purpose) == (
        child,
        world["household"],
        Purpose.DOCTOR_CERTIFICATE,
    )
    page = client.get(url("child", child.pk)).content.decode()
    assert reverse("files:download", args=[stored.pk]) in page and "熱性けいれん" in page
    # The facility caring for the child may open it.
    staff = as_user(world["staff"])
    assert staff.get(reverse("files:download", args=[stored.pk])).status_code == 200


def test_contacts_are_added_in_order_edited_and_removed(
    world, as_user, django_capture_on_commit_callbacks
):
    child = world["child"]
    client = as_user(world["guardian"])
    for name in ("試験 和子", "試験 一郎"):
        response = post(
            client, "child_edit_contacts", child,
            {"name": name, "relation": "祖母", "phone": "０９０－１２３４－５６７８"},
            django_capture_on_commit_callbacks,
        )  # fmt: skip
        assert response.status_code == 302
    first, second = child.emergency_contacts.all()
    assert (first.name, first.priority, second.priority) == ("試験 和子", 1, 2)
    assert first.phone == "090-1234-5678"  # full-width digits normalised
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            url("contact_edit", second.pk),
            {"name": "試験 一郎", "relation": "祖父", "phone": "0312345678", "priority": 1},
        )
    second.refresh_from_db()
    assert (second.relation, second.priority) == ("祖父", 1)
    [update] = events(action="update", object_type="families.emergencycontact")
    assert update.field_names == ["phone", "priority", "relation"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("contact_delete", first.pk))
    assert list(child.emergency_contacts.all()) == [second]
    assert events(action="delete", object_type="families.emergencycontact")


def test_growth_records_are_added_and_removed(world, as_user, django_capture_on_commit_callbacks):
    child = world["child"]
    client = as_user(world["guardian"])
    with clock.frozen(TODAY):
        response = post(
            client, "child_edit_growth", child,
            {"measured_on": "2026-10-10", "height_cm": "85.5", "weight_kg": "11.2"},
            django_capture_on_commit_callbacks,
        )  # fmt: skip
    assert response.status_code == 302
    growth = child.growth_records.get()
    assert (growth.height_cm, growth.weight_kg) == (Decimal("85.5"), Decimal("11.2"))
    assert events(action="create", object_type="families.growthrecord")[0].field_names == [
        "height_cm", "measured_on", "weight_kg",
    ]  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("growth_delete", growth.pk))
    assert not child.growth_records.exists()


# --- writing: bad input is refused in Japanese and writes nothing -------------------------------


def snapshot(child: Child):
    child = Child.objects.get(pk=child.pk)
    return (
        [getattr(child, name) for fields in services.SECTION_FIELDS.values() for name in fields],
        list(EmergencyContact.objects.values_list("pk", "name", "phone", "priority")),
        list(GrowthRecord.objects.values_list("pk")),
        StoredFile.objects.count(),
        AuditEvent.objects.filter(action__in=["create", "update", "delete"]).count(),
    )


TOO_MANY_LINES = "\n".join(f"食品{n}" for n in range(services.MAX_LINES + 1))
LINES_MESSAGE = (
    "Write at most %(lines)d lines of at most %(chars)d characters each.",
    {"lines": services.MAX_LINES, "chars": services.MAX_LINE_CHARS},
)


@pytest.mark.parametrize(
    ("section", "data", "message"),
    [
        ("meals", {"allergies": TOO_MANY_LINES}, LINES_MESSAGE),
        ("meals", {"meal_requirements": "あ" * 2001}, ("2000",)),
        ("health", {"illnesses": "あ" * 101}, LINES_MESSAGE),
        (
            "health",
            {"illnesses": "喘息", "certificate": SimpleUploadedFile("a.pdf", b"MZ not a pdf")},
            ("This kind of file is not accepted. Please upload a PDF, JPEG or PNG.",),
        ),
        ("pickup", {"pickup_persons": TOO_MANY_LINES}, LINES_MESSAGE),
        ("development", {"development_notes": "あ" * 2001}, ("2000",)),
        ("contacts", {"name": "試験 和子", "relation": "祖母"}, ("This field is required.",)),
        (
            "contacts",
            {"name": "試験 和子", "relation": "祖母", "phone": "電話なし"},
            ("Enter a phone number of 10 to 15 digits, e.g. 090-1234-5678.",),
        ),
        (
            "contacts",
            {"name": "試験 和子", "relation": "祖母", "phone": "0311112222", "email": "x@"},
            ("Enter a valid email address.",),
        ),
        (
            "growth",
            {"measured_on": "2026-10-10", "height_cm": "abc", "weight_kg": "10"},
            ("Enter a number.",),
        ),
        (
            "growth",
            {"measured_on": "2027-01-01", "height_cm": "80", "weight_kg": "10"},
            ("The date of the measurement cannot be in the future.",),
        ),
        (
            "growth",
            {"measured_on": "2024-01-01", "height_cm": "80", "weight_kg": "10"},
            ("The date of the measurement is before the child's birth.",),
        ),
        (
            "growth",
            {"measured_on": "2026-10-10", "height_cm": "300", "weight_kg": "10"},
            ("Enter a height between %(low)s and %(high)s cm.", {"low": "30.0", "high": "130.0"}),
        ),
    ],
)
def test_bad_input_is_refused_in_japanese_and_nothing_is_written(
    world, as_user, django_capture_on_commit_callbacks, section, data, message
):
    child = world["child"]
    client = as_user(world["guardian"])
    before = snapshot(child)
    with clock.frozen(TODAY):
        response = post(
            client, f"child_edit_{section}", child, data, django_capture_on_commit_callbacks
        )
    assert response.status_code == 400
    page = response.content.decode()
    expected = ja(message[0], **(message[1] if len(message) > 1 else {}))
    assert escape(expected) in page, expected
    assert 'lang="ja"' in page
    assert snapshot(child) == before


def test_django_messages_appear_in_japanese(world, as_user, django_capture_on_commit_callbacks):
    client = as_user(world["guardian"])
    response = post(
        client, "child_edit_contacts", world["child"], {}, django_capture_on_commit_callbacks
    )
    assert "このフィールドは必須です。" in response.content.decode()


def test_the_service_enforces_the_rules_without_the_form(world):
    """A caller that skips the form (another view, a command) meets the same rules."""
    child, guardian = world["child"], world["guardian"]
    with clock.frozen(TODAY), pytest.raises(services.ProfileInvalid) as refused:
        services.add_growth_record(
            guardian,
            child.pk,
            measured_on=dt.date(2030, 1, 1),
            height_cm=Decimal("999"),
            weight_kg=Decimal("0"),
        )
    assert set(refused.value.message_dict) == {"measured_on", "height_cm", "weight_kg"}
    with pytest.raises(services.ProfileInvalid):
        services.update_meals(guardian, child.pk, allergies=["x" * 101], meal_requirements="")
    with pytest.raises(services.ProfileInvalid):
        services.add_emergency_contact(guardian, child.pk, name="", relation="", phone="1")
    for n in range(services.MAX_CONTACTS):
        services.add_emergency_contact(
            guardian, child.pk, name=f"連絡先{n}", relation="祖母", phone="0311112222"
        )
    with pytest.raises(services.ProfileInvalid):
        services.add_emergency_contact(
            guardian, child.pk, name="十一人目", relation="祖母", phone="0311112222"
        )
    assert child.emergency_contacts.count() == services.MAX_CONTACTS
    assert not child.growth_records.exists()
    child.refresh_from_db()
    assert child.allergies is None


def test_a_refused_certificate_leaves_the_health_lists_unchanged(world):
    child = world["child"]
    with pytest.raises(services.ProfileInvalid) as refused:
        services.update_health(
            world["guardian"], child.pk, illnesses=["喘息"], vaccinations=[],
            certificate=SimpleUploadedFile("a.pdf", b"GIF89a"),
        )  # fmt: skip
    assert "certificate" in refused.value.message_dict
    child.refresh_from_db()
    assert child.illnesses is None and not StoredFile.objects.exists()
