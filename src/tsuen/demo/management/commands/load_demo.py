"""Load the demo world (once) and print how to log in to each portal. Development servers
(DEBUG) only.

``--address https://host:port`` is where the demo is reached: it becomes the site address of
every link in emails and calendar feeds (``SITE_URL``), kept as ``TSUEN_SITE_URL`` in
``var/local.env``, which every later ``manage.py`` command (runserver, db_worker) reads."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tsuen.core import clock
from tsuen.demo import data
from tsuen.municipalities.models import Municipality


def site_address(text: str) -> str:
    """``https://host:port`` without a trailing slash; refuses anything else (a typo here would
    put broken links in every email)."""
    address = text.strip().rstrip("/")
    parts = urlsplit(address)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query:
        raise CommandError(f"--address must read like https://host:port, not {text!r}.")
    return address


def remember_site_address(env_file: Path, address: str) -> None:
    """Set ``TSUEN_SITE_URL`` in ``env_file`` (manage.py's var/local.env), keeping its other
    lines (the demo's keys)."""
    lines = env_file.read_text(encoding="utf-8").splitlines() if env_file.is_file() else []
    lines = [line for line in lines if not line.startswith("TSUEN_SITE_URL=")]
    lines.append(f"TSUEN_SITE_URL={address}")
    env_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    env_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env_file.chmod(0o600)


class Command(BaseCommand):
    help = "Load demo data (fictional families, two wards, six facilities) unless already loaded."

    def add_arguments(self, parser):
        parser.add_argument(
            "--address",
            default=None,
            help="The address the demo is reached at, e.g. https://192.0.2.10:8443: links in "
            "emails and calendar feeds use it (kept in var/local.env).",
        )

    def handle(self, *args, address: str | None, **options):
        if not settings.DEBUG:
            # Demo accounts share one printed password and print their second factors, and
            # the demo wards' staff may connect from this machine: never on a real system.
            raise CommandError(
                "load_demo runs only on a development server (TSUEN_DEBUG=1), as bin/demo does."
            )
        if address:
            address = site_address(address)
            remember_site_address(Path(settings.VAR_DIR) / "local.env", address)
            settings.SITE_URL = address  # this process too
        address = address or settings.SITE_URL
        if Municipality.objects.filter(code="13104").exists():
            self.stdout.write("Demo data already loaded.")
            logins = data.existing_logins()
        else:
            logins = data.load(clock.today())
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write(data.describe(logins, address))
