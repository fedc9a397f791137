"""Print the current TOTP code of an account: demo and development only."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from tsuen.accounts.models import User
from tsuen.accounts.services import totp_code, totp_secret


class Command(BaseCommand):
    help = (
        "Print the current six-digit TOTP code of an account (demo and development only). "
        "It reads the account's second-factor secret from the database, which is exactly what "
        "a second factor exists to prevent; so it runs only with DEBUG on (TSUEN_DEBUG=1), "
        "never on a system with real people's data."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="the account's email address")

    def handle(self, *args, email: str, **options):
        if not settings.DEBUG:
            raise CommandError(
                _("totp_code reveals a second factor and runs only with DEBUG on (TSUEN_DEBUG=1).")
            )
        user = User.objects.filter(email__iexact=email.strip()).first()
        secret = totp_secret(user) if user else None
        if secret is None:
            raise CommandError(
                _("%(email)s: no such account, or it has no TOTP authenticator.") % {"email": email}
            )
        self.stdout.write(totp_code(secret))
