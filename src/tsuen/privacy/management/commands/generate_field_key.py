"""Print a fresh field-encryption key entry ``version:base64`` for ``TSUEN_FIELD_KEYS``.

The entry goes to standard output alone (so that it can be piped into a secret store); the
advice goes to standard error. The key is never written anywhere else.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from tsuen.privacy.crypto import generate_key, keyring


class Command(BaseCommand):
    help = "Print a fresh 'version:base64key' entry to add to TSUEN_FIELD_KEYS."
    requires_system_checks = []  # usable to repair a broken key configuration

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--key-version",
            type=int,
            help="Version number of the new key (default: one above the highest configured).",
        )

    def handle(self, *args, **options) -> None:
        version = options["key_version"]
        if version is None:
            try:
                version = keyring().current_version + 1
            except ImproperlyConfigured as exc:
                raise CommandError(
                    f"{exc}; pass --key-version to choose the new key's version"
                ) from exc
        if version < 1:
            raise CommandError("--key-version must be 1 or more")
        self.stdout.write(f"{version}:{generate_key()}")
        self.stderr.write(
            "Append this entry to TSUEN_FIELD_KEYS (comma-separated, keep the existing keys), "
            "deploy, then run `manage.py rotate_field_keys`. See docs/encryption.md."
        )
