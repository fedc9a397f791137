"""Model fields whose values are encrypted at rest (S-class data: see docs/data-inventory.md).

Encrypted columns cannot be filtered or sorted on in SQL; that is the point. Values are
serialised as JSON before encryption so that one mechanism serves text, flags and lists.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import models

from tsuen.privacy.crypto import keyring


class EncryptedField(models.TextField):
    """Base: the Python value is JSON-serialised, encrypted and stored as text."""

    sensitive = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("blank", True)
        kwargs.setdefault("null", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, f"{type(self).__module__}.{type(self).__name__}", args, kwargs

    @property
    def crypto_context(self) -> str:
        return f"{self.model._meta.label}.{self.name}"

    def to_plain(self, value: Any) -> Any:
        return value

    def from_plain(self, value: Any) -> Any:
        return value

    def get_prep_value(self, value: Any) -> str | None:
        if value is None:
            return None
        payload = json.dumps(self.to_plain(value), ensure_ascii=False).encode("utf-8")
        return keyring().encrypt(payload, self.crypto_context)

    def from_db_value(self, value: str | None, expression, connection) -> Any:
        if value is None:
            return None
        return self.from_plain(json.loads(keyring().decrypt(value, self.crypto_context)))

    def to_python(self, value: Any) -> Any:
        return value

    def get_lookup(self, lookup_name: str):
        if lookup_name != "isnull":
            return None  # no lookups on ciphertext except IS NULL
        return super().get_lookup(lookup_name)


class EncryptedTextField(EncryptedField):
    def to_plain(self, value: Any) -> str:
        return str(value)


class EncryptedBooleanField(EncryptedField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", False)
        kwargs["null"] = False
        kwargs["blank"] = True
        super().__init__(*args, **kwargs)

    def to_plain(self, value: Any) -> bool:
        return bool(value)

    def formfield(self, **kwargs: Any):
        from django import forms

        return forms.BooleanField(required=False, label=self.verbose_name, **kwargs)


class EncryptedJSONField(EncryptedField):
    """Lists and small mappings (allergies, vaccinations)."""
