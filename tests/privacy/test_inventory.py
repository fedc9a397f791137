"""SECURITY.md item 1: the data inventory covers every personal-data field of the tsuen apps."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist

from tsuen.privacy import inventory
from tsuen.privacy.fields import EncryptedField

DOC = Path(__file__).resolve().parents[2] / "docs" / "data-inventory.md"

#: Substrings of field names that suggest personal data.
PERSONAL_SUBSTRINGS = (
    "name",
    "kana",
    "birth",
    "addr",
    "postal",
    "prefecture",
    "phone",
    "mail",
    "relation",
    "note",
    "message",
    "comment",
    "remark",
    "memo",
    "temperature",
    "health",
    "pickup",
    "person",
    "workplace",
    "allerg",
    "medic",
    "disab",
    "illness",
    "vaccin",
    "develop",
    "meal",
    "fee_class",
    "support",
    "gender",
    "contact",
    "toilet",
    "growth",
    "height",
    "weight",
    "income",
    "welfare",
    "assistance",
    "religio",
    "diagnos",
    "symptom",
    "doctor",
    "hospital",
    "insurance",
    "nationality",
    "certificate",
    "photo",
    "image",
    "upload",
    "document",
    "consent",
    "password",
    "reason",
    "subject",
    "actor",
    "guardian_",
    "child_",
)
#: Whole words (between underscores) that suggest personal data but are too short to search
#: for as substrings.
PERSONAL_WORDS = frozenset(
    {"sex", "nap", "mood", "tel", "ip", "city", "number", "tax", "age", "dob", "sign"}
)


def tsuen_models():
    for config in apps.get_app_configs():
        if config.name.startswith("tsuen."):
            for model in config.get_models():
                if not model._meta.proxy:
                    yield model


def tsuen_fields():
    for model in tsuen_models():
        for field in [*model._meta.local_concrete_fields, *model._meta.local_many_to_many]:
            yield f"{model._meta.label}.{field.name}", field


def looks_personal(field) -> bool:
    name = field.name.lower()
    return (
        isinstance(field, EncryptedField)
        or any(part in name for part in PERSONAL_SUBSTRINGS)
        or bool(PERSONAL_WORDS & set(name.split("_")))
    )


def resolve(key: str):
    app_label, model_name, field_name = key.split(".")
    return apps.get_model(app_label, model_name)._meta.get_field(field_name)


def test_every_personal_looking_field_is_in_the_inventory():
    missing = [
        key
        for key, field in tsuen_fields()
        if looks_personal(field)
        and key not in inventory.INVENTORY
        and key not in inventory.NOT_PERSONAL
    ]
    assert not missing, (
        "Personal-looking fields missing from tsuen/privacy/inventory.py (add them to INVENTORY "
        "with class, purpose and retention, or to NOT_PERSONAL with the reason) and to "
        f"docs/data-inventory.md: {missing}"
    )


@pytest.mark.parametrize("table", ["INVENTORY", "NOT_PERSONAL", "PROPOSED_SENSITIVE"])
def test_every_entry_names_an_existing_field(table):
    unknown = []
    for key in getattr(inventory, table):
        try:
            resolve(key)
        except (LookupError, FieldDoesNotExist, ValueError):
            unknown.append(key)
    assert not unknown, f"{table} names fields that do not exist: {unknown}"


def test_s_fields_are_encrypted_and_encrypted_fields_are_s():
    for key, entry in inventory.INVENTORY.items():
        field = resolve(key)
        if entry.data_class == inventory.S:
            assert isinstance(field, EncryptedField) or key in inventory.ENCRYPTED_ELSEWHERE, (
                f"{key} is S but not encrypted"
            )
        else:
            assert not isinstance(field, EncryptedField), f"{key} is encrypted: mark it S"


def test_entries_are_well_formed():
    for key, entry in inventory.INVENTORY.items():
        assert re.fullmatch(r"\w+\.\w+\.\w+", key), key
        assert entry.data_class in (inventory.P, inventory.S), key
        assert entry.purpose.strip(), key
        assert entry.retention in inventory.RETENTION_RULES, key
    assert not set(inventory.INVENTORY) & set(inventory.NOT_PERSONAL)
    for key in inventory.PROPOSED_SENSITIVE:
        assert inventory.INVENTORY[key].data_class == inventory.P, (
            f"{key} is S now: remove it from PROPOSED_SENSITIVE"
        )


def test_the_s_fields_named_in_security_md_are_s():
    for key in [
        "families.Child.disability",
        "families.Child.medical_care",
        "families.Child.allergies",
        "families.Child.meal_requirements",
        "families.Child.illnesses",
        "families.Child.vaccinations",
        "families.Child.development_notes",
        "families.Household.support_needed",
        "families.HouseholdFeeClass.fee_class",
        "certification.Application.declared_fee_class",
    ]:
        assert inventory.INVENTORY[key].data_class == inventory.S, key
    assert inventory.sensitive_fields("families.Household") == {"support_needed"}


def test_the_document_lists_every_entry():
    text = DOC.read_text(encoding="utf-8")
    for key, entry in inventory.INVENTORY.items():
        assert f"| `{key}` | {entry.data_class} |" in text, f"{key} missing or wrong in {DOC.name}"
    for key in inventory.NOT_PERSONAL:
        assert f"`{key}`" in text, f"{key} missing from {DOC.name}"
    for rule in inventory.RETENTION_RULES:
        assert f"`{rule}`" in text, f"retention rule {rule} missing from {DOC.name}"


def test_the_heuristic_catches_a_new_personal_field():
    """A guard for the guard: a field named like personal data is flagged."""
    from django.db import models

    for name in ("guardian_phone", "nickname", "home_address", "sex", "ip", "consent_given"):
        assert looks_personal(models.CharField(name=name))
    for name in ("status", "capacity", "created_at", "fiscal_year"):
        assert not looks_personal(models.CharField(name=name))
