"""Encrypted model fields: round trips, NULL, refused lookups, validation and model forms."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django import forms
from django.core.exceptions import FieldError, ValidationError
from django.db import connection, models
from django.forms import modelform_factory
from django.test.utils import isolate_apps

from tests import factories as f
from tests.privacy.conftest import raw, reread, write_raw
from tsuen.certification.models import Application
from tsuen.families.models import Child, FeeClass, Household, HouseholdFeeClass
from tsuen.privacy.crypto import DecryptionError
from tsuen.privacy.fields import (
    PAD_BLOCK,
    EncryptedBooleanField,
    EncryptedJSONField,
    EncryptedTextField,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def kid() -> Child:
    _, _, child = f.family(f.municipality())
    return child


# --- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("meal_requirements", 'ハラール：豚肉・アルコール不可 🍚 "quotes" \\ and\nnewlines'),
        ("meal_requirements", ""),
        ("development_notes", "x" * 5000),
        ("disability", True),
        ("disability", False),
        ("allergies", ["卵", "乳", "小麦"]),
        ("allergies", []),
        ("illnesses", [{"name": "熱性けいれん", "year": 2025, "ongoing": False, "note": None}]),
        ("vaccinations", {"BCG": "2024-09-01", "ヒブ": ["2024-06-10", "2024-07-10"]}),
        ("vaccinations", {}),
    ],
)
def test_values_round_trip(kid, name, value):
    setattr(kid, name, value)
    kid.save()
    again = reread(kid)
    assert getattr(again, name) == value
    assert type(getattr(again, name)) is type(value)
    assert raw(kid, name).startswith("v1:")


def test_none_stays_null(kid):
    kid.allergies = None
    kid.meal_requirements = None
    kid.save()
    assert raw(kid, "allergies") is None
    assert raw(kid, "meal_requirements") is None
    again = reread(kid)
    assert again.allergies is None and again.meal_requirements is None


def test_boolean_defaults_to_false_encrypted(kid):
    assert raw(kid, "disability").startswith("v1:")
    assert reread(kid).disability is False


def test_update_and_bulk_update_encrypt(kid):
    Child._base_manager.filter(pk=kid.pk).update(meal_requirements="アレルギー除去食")
    assert raw(kid, "meal_requirements").startswith("v1:")
    kid.refresh_from_db()
    assert kid.meal_requirements == "アレルギー除去食"
    kid.allergies = ["えび"]
    Child._base_manager.bulk_update([kid], ["allergies"])
    assert "えび" not in raw(kid, "allergies")
    assert reread(kid).allergies == ["えび"]


def test_values_list_decrypts(kid):
    kid.allergies = ["そば"]
    kid.save()
    assert list(Child._base_manager.filter(pk=kid.pk).values_list("allergies", flat=True)) == [
        ["そば"]
    ]


def test_equal_plaintexts_give_different_ciphertexts():
    muni = f.municipality()
    a = f.child(f.household(muni), allergies=["卵"])
    b = f.child(f.household(muni), allergies=["卵"])
    assert raw(a, "allergies") != raw(b, "allergies")
    a.save()
    first = raw(a, "allergies")
    a.save()
    assert raw(a, "allergies") != first  # every write draws a new nonce


def test_ciphertext_length_does_not_reveal_the_value():
    """true/false and the fee classes all pad to the same length."""
    muni = f.municipality()
    flags = [f.household(muni, support_needed=value) for value in (True, False)]
    assert len({len(raw(h, "support_needed")) for h in flags}) == 1
    household = flags[0]
    lengths = set()
    for fee_class in FeeClass.values:
        row = HouseholdFeeClass.objects.create(
            household=household, fee_class=fee_class, valid_from=dt.date(2026, 4, 1)
        )
        lengths.add(len(raw(row, "fee_class")))
    assert len(lengths) == 1
    assert max(len(f'"{value}"') for value in FeeClass.values) <= PAD_BLOCK


# --- binding to the column, versions, tampering ----------------------------------------------


def test_value_copied_to_another_column_does_not_decrypt(kid):
    kid.meal_requirements = "ハラール"
    kid.save()
    write_raw(kid, "development_notes", raw(kid, "meal_requirements"))
    with pytest.raises(DecryptionError, match="authenticate"):
        reread(kid)


def test_value_copied_to_another_model_does_not_decrypt(kid):
    account = f.user()
    fee = HouseholdFeeClass.objects.create(
        household=kid.household, fee_class="public_assistance", valid_from=dt.date(2026, 4, 1)
    )
    application = Application.objects.create(
        municipality=kid.household.municipality,
        household=kid.household,
        applicant=account,
        declared_fee_class="none",
    )
    write_raw(application, "declared_fee_class", raw(fee, "fee_class"))
    with pytest.raises(DecryptionError):
        reread(application)


def test_unknown_key_version_raises(kid):
    stored = raw(kid, "disability")
    write_raw(kid, "disability", "v9:" + stored.split(":", 1)[1])
    with pytest.raises(DecryptionError, match="version 9"):
        reread(kid)


def test_tampered_ciphertext_raises(kid):
    kid.allergies = ["卵"]
    kid.save()
    stored = raw(kid, "allergies")
    body = stored[3:]
    swapped = body[:10] + ("B" if body[10] == "A" else "A") + body[11:]
    write_raw(kid, "allergies", "v1:" + swapped)
    with pytest.raises(DecryptionError):
        reread(kid)


def test_plaintext_written_past_the_orm_raises(kid):
    write_raw(kid, "meal_requirements", "ハラール")
    with pytest.raises(DecryptionError, match="not an encrypted field value"):
        reread(kid)


# --- queries ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lookup",
    [
        {"allergies": ["卵"]},
        {"allergies__contains": "卵"},
        {"meal_requirements__icontains": "ハラール"},
        {"meal_requirements__startswith": "v1:"},
        {"disability__in": [True]},
        {"disability": True},
        {"development_notes__gt": "a"},
        {"allergies__0": "卵"},
        {"vaccinations__BCG__isnull": False},
        {"meal_requirements__lower": "x"},
        {"disability": models.F("medical_care")},
    ],
)
def test_lookups_other_than_isnull_are_refused_clearly(lookup):
    field = next(iter(lookup)).split("__")[0]
    message = re.escape(f"families.Child.{field} is encrypted at rest")
    with pytest.raises(FieldError, match=message):
        Child.objects.filter(**lookup)
    with pytest.raises(FieldError, match=message):
        Child.objects.exclude(**lookup)


def test_other_models_fields_are_refused_too():
    with pytest.raises(FieldError, match=r"families\.HouseholdFeeClass\.fee_class"):
        HouseholdFeeClass.objects.filter(fee_class="public_assistance")
    with pytest.raises(FieldError, match=r"families\.Household\.support_needed"):
        Household.objects.filter(support_needed=True)
    with pytest.raises(FieldError, match=r"families\.Child\.allergies"):
        Household.objects.filter(children__allergies__contains="卵")


def test_isnull_and_none_work(kid):
    other = f.child(kid.household, allergies=["卵"])
    assert list(Child.objects.filter(allergies__isnull=True)) == [kid]
    assert list(Child.objects.filter(allergies=None)) == [kid]
    assert list(Child.objects.filter(allergies__isnull=False)) == [other]
    assert list(Child.objects.exclude(allergies=None)) == [other]
    assert list(Household.objects.filter(children__allergies__isnull=False)) == [kid.household]


# --- validation and forms --------------------------------------------------------------------


def test_full_clean_accepts_valid_values(kid):
    kid.disability = True
    kid.allergies = ["卵"]
    kid.meal_requirements = "ハラール"
    kid.vaccinations = {"BCG": "2024-09-01"}
    kid.full_clean()
    assert kid.disability is True


def test_full_clean_refuses_values_that_cannot_be_stored(kid):
    kid.allergies = [dt.date(2025, 1, 1)]
    kid.disability = "perhaps"
    with pytest.raises(ValidationError) as excinfo:
        kid.full_clean()
    assert set(excinfo.value.message_dict) >= {"allergies", "disability"}


def test_full_clean_refuses_a_missing_flag(kid):
    kid.medical_care = None
    with pytest.raises(ValidationError) as excinfo:
        kid.full_clean()
    assert "medical_care" in excinfo.value.message_dict


@pytest.mark.parametrize(
    ("given", "expected"),
    [(True, True), (False, False), ("True", True), ("false", False), ("1", True), ("0", False)],
)
def test_boolean_to_python(given, expected):
    assert Child._meta.get_field("disability").to_python(given) is expected


def test_boolean_never_stores_the_truthiness_of_a_string(kid):
    """bool("False") is True: the field must not store that."""
    kid.disability = "False"
    kid.save()
    assert reread(kid).disability is False


def test_model_form_renders_a_checkbox_and_round_trips(kid):
    ChildForm = modelform_factory(
        Child,
        fields=["disability", "medical_care", "allergies", "meal_requirements"],
        labels={"disability": "障害"},  # a label from Meta must not clash with the field's own
    )
    form = ChildForm(instance=kid)
    html = str(form)
    assert isinstance(form.fields["disability"], forms.BooleanField)
    assert not form.fields["disability"].required
    assert re.search(r'<input type="checkbox" name="disability"', html)
    assert "障害" in html
    assert isinstance(form.fields["allergies"], forms.JSONField)
    assert isinstance(form.fields["meal_requirements"].widget, forms.Textarea)
    assert "v1:" not in html  # the form shows values, never ciphertext

    form = ChildForm(
        {"disability": "on", "allergies": '["卵", "乳"]', "meal_requirements": "ハラール"},
        instance=kid,
    )
    assert form.is_valid(), form.errors
    form.save()
    again = reread(kid)
    assert again.disability is True
    assert again.medical_care is False  # unchecked box
    assert again.allergies == ["卵", "乳"]
    assert again.meal_requirements == "ハラール"

    form = ChildForm(instance=again)
    assert "checked" in str(form["disability"])
    assert "&quot;卵&quot;" in str(form["allergies"])


def test_model_form_refuses_invalid_json(kid):
    ChildForm = modelform_factory(Child, fields=["allergies"])
    form = ChildForm({"allergies": "[卵"}, instance=kid)
    assert not form.is_valid()
    assert "allergies" in form.errors


def test_dumpdata_style_serialisation_round_trips(kid):
    from django.core import serializers

    kid.allergies = ["卵"]
    kid.disability = True
    kid.meal_requirements = "ハラール"
    kid.save()
    data = serializers.serialize("json", Child._base_manager.filter(pk=kid.pk))
    (loaded,) = serializers.deserialize("json", data)
    assert loaded.object.allergies == ["卵"]
    assert loaded.object.disability is True
    assert loaded.object.meal_requirements == "ハラール"


# --- definitions -----------------------------------------------------------------------------


def test_migrations_see_no_change_in_the_encrypted_fields():
    field = Child._meta.get_field("disability")
    _, path, _, kwargs = field.deconstruct()
    assert path == "tsuen.privacy.fields.EncryptedBooleanField"
    assert kwargs == {"blank": True, "default": False, "verbose_name": field.verbose_name}
    _, path, _, kwargs = Child._meta.get_field("allergies").deconstruct()
    assert path == "tsuen.privacy.fields.EncryptedJSONField"
    assert kwargs["null"] is True and kwargs["blank"] is True


@isolate_apps("tsuen.privacy")
def test_an_encrypted_field_cannot_be_unique_or_indexed():
    class Bad(models.Model):  # noqa: DJ008
        secret = EncryptedTextField(unique=True)
        flag = EncryptedBooleanField(db_index=True)
        fine = EncryptedJSONField()

        class Meta:
            app_label = "privacy"

    errors = [e.id for e in Bad.check()]
    assert errors.count("privacy.E002") == 2


def test_columns_are_text(kid):
    assert Child._meta.get_field("allergies").db_type(connection) == models.TextField().db_type(
        connection
    )
