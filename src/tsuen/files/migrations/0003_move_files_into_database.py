"""Move files uploaded before issue 9 from the file system into the database, encrypted.

Until then an upload was kept in clear under the default storage's location (var/private) at
its row's ``storage_name``. Each such file is read, checked against the row's SHA-256,
encrypted for its row (``tsuen.files.blobs.binding``) and written to ``files.StoredFileBlob``.
The clear copies are deleted only once the migration's transaction has committed.

A row whose file is missing or does not match its hash stops the migration, naming the rows:
nothing is lost silently. Restore the file from a backup (or delete the row), then migrate
again. The rows keep their scan status: files stored before scanning are not served until
``manage.py scan_stored_files`` has scanned them.
"""

import hashlib
from pathlib import Path

from django.conf import settings
from django.db import migrations, transaction


def legacy_location() -> Path:
    return Path(settings.STORAGES["default"]["OPTIONS"]["location"])


def move_files(apps, schema_editor):
    from tsuen.files.blobs import binding
    from tsuen.privacy.crypto import keyring

    StoredFile = apps.get_model("files", "StoredFile")
    StoredFileBlob = apps.get_model("files", "StoredFileBlob")
    using = schema_editor.connection.alias
    root = legacy_location().resolve()
    moved, problems = [], []
    for stored in StoredFile._base_manager.using(using).filter(blob__isnull=True).order_by("pk"):
        path = (root / stored.storage_name).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            problems.append(f"file {stored.pk}: {stored.storage_name} is missing")
            continue
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() != stored.sha256:
            problems.append(f"file {stored.pk}: {stored.storage_name} does not match its SHA-256")
            continue
        version, ciphertext = keyring().encrypt_bytes(data, binding(stored))
        StoredFileBlob._base_manager.using(using).create(
            file=stored, key_version=version, ciphertext=ciphertext
        )
        moved.append(path)
    if problems:
        raise RuntimeError(
            "Uploaded files could not be moved into the database; restore them under "
            f"{root} (or delete their rows) and migrate again:\n" + "\n".join(problems)
        )

    def remove_clear_copies():
        for path in moved:
            path.unlink(missing_ok=True)

    transaction.on_commit(remove_clear_copies, using=using)


class Migration(migrations.Migration):

    dependencies = [
        ("files", "0002_storedfileblob"),
    ]

    operations = [
        migrations.RunPython(move_files, migrations.RunPython.noop, elidable=False),
    ]
