"""Model fields whose values are encrypted at rest (S-class data: see docs/data-inventory.md).

Encrypted columns cannot be filtered or sorted on in SQL; that is the point. Values are
serialised as JSON before encryption so that one mechanism serves text, flags and lists.

The JSON text is padded with trailing spaces (which JSON ignores) to a multiple of
``PAD_BLOCK`` bytes before encryption, so that the length of a ciphertext does not tell
``true`` from ``false`` or ``"none"`` from ``"public_assistance"``. Values written before the
padding existed still decrypt, and ``rotate_field_keys`` pads them.

Only ``isnull`` (and ``= None``) can be used in a query; any other lookup or transform raises
:class:`~django.core.exceptions.FieldError` naming the field, instead of silently comparing
ciphertext.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core import checks, exceptions
from django.db import models
from django.db.models.lookups import Exact
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tsuen.privacy.crypto import keyring

PAD_BLOCK = 64


def _refusal(field: EncryptedField, what: str) -> exceptions.FieldError:
    label = getattr(field, "crypto_context", None)  # None while the field is unbound
    return exceptions.FieldError(
        f"{label or type(field).__name__} is encrypted at rest: {what} is not possible on it "
        "(only __isnull). Filter on another column, or load the rows and compare in Python."
    )


class _NoneOnlyExact(Exact):
    """``field=None`` means ``field__isnull=True``; any other ``exact`` is refused."""

    def __init__(self, lhs, rhs):
        if rhs is not None:
            raise _refusal(lhs.output_field, "the lookup 'exact'")
        super().__init__(lhs, rhs)


class EncryptedField(models.TextField):
    """Base: the Python value is JSON-serialised, padded, encrypted and stored as text."""

    sensitive = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("blank", True)
        kwargs.setdefault("null", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, f"{type(self).__module__}.{type(self).__name__}", args, kwargs

    # --- checks -----------------------------------------------------------------------------

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        for attribute in ("primary_key", "unique", "db_index"):
            if getattr(self, attribute, False):
                errors.append(
                    checks.Error(
                        f"An encrypted field cannot set {attribute}=True: its ciphertext is "
                        "random, so the database cannot compare values.",
                        obj=self,
                        id="privacy.E002",
                    )
                )
        return errors

    # --- encryption -------------------------------------------------------------------------

    @property
    def crypto_context(self) -> str:
        """Associated data that binds a ciphertext to this column: ``app_label.Model.field``."""
        return f"{self.model._meta.label}.{self.name}"

    def to_plain(self, value: Any) -> Any:
        """Python value -> JSON-serialisable value."""
        return value

    def from_plain(self, value: Any) -> Any:
        """Decoded JSON value -> Python value."""
        return value

    def serialise(self, value: Any) -> bytes:
        """The padded plaintext for ``value`` (not yet encrypted)."""
        payload = json.dumps(self.to_plain(value), ensure_ascii=False).encode("utf-8")
        return pad(payload)

    def encrypt(self, value: Any) -> str | None:
        if value is None:
            return None
        return keyring().encrypt(self.serialise(value), self.crypto_context)

    def decrypt(self, stored: str | None) -> Any:
        if stored is None:
            return None
        plaintext = keyring().decrypt(stored, self.crypto_context)
        return self.from_plain(json.loads(plaintext.decode("utf-8")))

    def reencrypt(self, stored: str) -> str:
        """Re-encrypt a stored value under the current key version, padding it if needed."""
        ring = keyring()
        plaintext = ring.decrypt(stored, self.crypto_context)
        return ring.encrypt(pad(plaintext.rstrip(b" ")), self.crypto_context)

    def get_prep_value(self, value: Any) -> str | None:
        if isinstance(value, Promise):
            value = str(value)
        return self.encrypt(value)

    def from_db_value(self, value: str | None, expression, connection) -> Any:
        return self.decrypt(value)

    def to_python(self, value: Any) -> Any:
        return value

    def value_to_string(self, obj: models.Model) -> Any:
        # Serialisers (dumpdata) write the plaintext: such dumps are personal data.
        return self.value_from_object(obj)

    # --- queries ----------------------------------------------------------------------------

    def get_lookup(self, lookup_name: str):
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        if lookup_name == "exact":
            return _NoneOnlyExact
        raise _refusal(self, f"the lookup {lookup_name!r}")

    def get_transform(self, lookup_name: str):
        raise _refusal(self, f"the lookup or transform {lookup_name!r}")


class EncryptedTextField(EncryptedField):
    def to_python(self, value: Any) -> str | None:
        if value is None or isinstance(value, str):
            return value
        return str(value)

    def to_plain(self, value: Any) -> str:
        return str(value)


class EncryptedBooleanField(EncryptedField):
    empty_strings_allowed = False
    empty_values: list = []  # full_clean() must see None (refused: the flag is not nullable)
    default_error_messages = {"invalid": _("“%(value)s” value must be either True or False.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", False)
        kwargs["null"] = False
        kwargs["blank"] = True
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> bool | None:
        if value is None:
            return None  # refused by validate(): the field is not nullable
        if value in (True, False):
            return bool(value)
        if value in ("t", "True", "true", "1", "on"):
            return True
        if value in ("f", "False", "false", "0", ""):
            return False
        raise exceptions.ValidationError(
            self.error_messages["invalid"], code="invalid", params={"value": value}
        )

    def to_plain(self, value: Any) -> bool:
        return self.to_python(value)

    def from_plain(self, value: Any) -> bool:
        return bool(value)

    def formfield(self, **kwargs: Any):
        # Skip TextField.formfield (a textarea); a checkbox where unchecked means False.
        return models.Field.formfield(
            self, **{"form_class": forms.BooleanField, "required": False, **kwargs}
        )


class EncryptedJSONField(EncryptedField):
    """Lists and small mappings (allergies, vaccinations)."""

    default_error_messages = {"invalid": _("Value must be valid JSON.")}

    def validate(self, value: Any, model_instance: models.Model | None) -> None:
        super().validate(value, model_instance)
        try:
            json.dumps(value)
        except (TypeError, ValueError) as exc:
            raise exceptions.ValidationError(
                self.error_messages["invalid"], code="invalid", params={"value": value}
            ) from exc

    def formfield(self, **kwargs: Any):
        return models.Field.formfield(self, **{"form_class": forms.JSONField, **kwargs})


def pad(payload: bytes) -> bytes:
    """Pad JSON text with spaces to a multiple of PAD_BLOCK bytes (JSON ignores them)."""
    return payload + b" " * (-len(payload) % PAD_BLOCK)


class EncryptedIntegerField(EncryptedField):
    """A whole number (an amount in yen whose value would reveal S data, such as a fee
    reduction that follows from the household's fee class). Never NULL unless asked; sums are
    made in Python from the decrypted values."""

    empty_strings_allowed = False
    default_error_messages = {"invalid": _("“%(value)s” value must be a whole number.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("null", False)
        kwargs.setdefault("blank", False)
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise exceptions.ValidationError(
                self.error_messages["invalid"], code="invalid", params={"value": value}
            )
        try:
            return int(value)
        except (TypeError, ValueError):
            raise exceptions.ValidationError(
                self.error_messages["invalid"], code="invalid", params={"value": value}
            ) from None

    def to_plain(self, value: Any) -> int:
        return self.to_python(value)

    def from_plain(self, value: Any) -> int:
        return int(value)

    def formfield(self, **kwargs: Any):
        return models.Field.formfield(self, **{"form_class": forms.IntegerField, **kwargs})
