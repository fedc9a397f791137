"""Key rotation: re-encrypt stored values that are still under an older key version.

:func:`rotate_field` handles one :class:`~tsuen.privacy.fields.EncryptedField` column. Rows are
read with the model's base manager (tenant-scoped default managers refuse to run without a
scope) and the column is read as raw text, so no value is decrypted into a model instance. Each
batch runs in its own transaction with its rows locked (``SELECT … FOR UPDATE`` on PostgreSQL;
SQLite serialises writers anyway), and a row is rewritten only if its ciphertext is still the
one that was read. A value that cannot be decrypted is reported (primary key and reason, never
the value) and skipped.

Values encrypted with :func:`~tsuen.privacy.crypto.keyring` outside an ``EncryptedField`` (for
example the MFA secrets kept by allauth) are invisible to the field walk: their owner registers
a rotator with :func:`register_rotator` so that ``manage.py rotate_field_keys`` covers them too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, models, transaction
from django.db.models.functions import Cast

from tsuen.privacy.crypto import DecryptionError, keyring, version_of
from tsuen.privacy.fields import EncryptedField

RAW = "_privacy_raw_ciphertext"


@dataclass
class RotationReport:
    label: str
    rotated: int = 0
    current: int = 0
    changed_meanwhile: int = 0
    from_versions: Counter = field(default_factory=Counter)
    failures: list[tuple[object, str]] = field(default_factory=list)  # (pk, reason)


#: label -> callable(batch_size=..., dry_run=..., using=...) -> RotationReport
Rotator = Callable[..., RotationReport]
_extra_rotators: dict[str, Rotator] = {}


def register_rotator(label: str, rotator: Rotator) -> None:
    """Register a rotator for values encrypted outside an ``EncryptedField``."""
    _extra_rotators[label] = rotator


def unregister_rotator(label: str) -> None:
    _extra_rotators.pop(label, None)


def extra_rotators() -> list[tuple[str, Rotator]]:
    return sorted(_extra_rotators.items())


def encrypted_fields() -> Iterator[tuple[type[models.Model], EncryptedField]]:
    """Every (model, field) whose column holds ciphertext, each column once, by label."""
    found = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        for model_field in meta.local_concrete_fields:
            if isinstance(model_field, EncryptedField):
                found.append((model, model_field))
    yield from sorted(found, key=lambda pair: pair[1].crypto_context)


def raw_rows(model: type[models.Model], model_field: EncryptedField, using: str):
    """The model's non-NULL rows with the column's raw ciphertext annotated as ``RAW``."""
    return (
        model._base_manager.using(using)
        .annotate(**{RAW: Cast(model_field.name, output_field=models.TextField())})
        .filter(**{f"{RAW}__isnull": False})
    )


def rotate_field(
    model: type[models.Model],
    model_field: EncryptedField,
    *,
    batch_size: int = 500,
    dry_run: bool = False,
    using: str = DEFAULT_DB_ALIAS,
) -> RotationReport:
    report = RotationReport(model_field.crypto_context)
    prefix = f"v{keyring().current_version}:"
    rows = raw_rows(model, model_field, using)
    report.current = rows.filter(**{f"{RAW}__startswith": prefix}).count()
    stale = rows.exclude(**{f"{RAW}__startswith": prefix}).order_by("pk")
    last_pk = None
    while True:
        with transaction.atomic(using=using):
            batch = stale if last_pk is None else stale.filter(pk__gt=last_pk)
            if not dry_run:
                batch = batch.select_for_update()
            selected = list(batch.values_list("pk", RAW)[:batch_size])
            if not selected:
                return report
            last_pk = selected[-1][0]
            for pk, stored in selected:
                try:
                    version = version_of(stored)
                    new = model_field.reencrypt(stored)
                except DecryptionError as exc:
                    report.failures.append((pk, str(exc)))
                    continue
                if not dry_run:
                    written = rows.filter(pk=pk, **{RAW: stored}).update(
                        **{model_field.name: models.Value(new, output_field=models.TextField())}
                    )
                    if written != 1:
                        report.changed_meanwhile += 1
                        continue
                report.rotated += 1
                report.from_versions[version] += 1


def rotate_all(
    *, batch_size: int = 500, dry_run: bool = False, using: str = DEFAULT_DB_ALIAS
) -> Iterator[RotationReport]:
    """Rotate every encrypted column, then every registered extra rotator."""
    for model, model_field in encrypted_fields():
        yield rotate_field(model, model_field, batch_size=batch_size, dry_run=dry_run, using=using)
    for _label, rotator in extra_rotators():
        yield rotator(batch_size=batch_size, dry_run=dry_run, using=using)
