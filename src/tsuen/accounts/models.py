"""People who log in. One account holds one role; staff accounts are bound to their
municipality or facility, which is where the authorization layer starts."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from tsuen.core.tenancy import TenantModel


class Role(models.TextChoices):
    GUARDIAN = "guardian", _("Guardian")
    PROXY = "proxy", _("Proxy user")
    FACILITY_STAFF = "facility_staff", _("Facility staff")
    FACILITY_MANAGER = "facility_manager", _("Facility manager")
    MUNICIPAL_REVIEWER = "municipal_reviewer", _("Municipal reviewer")
    MUNICIPAL_PAYMENTS = "municipal_payments", _("Municipal payments officer")
    MUNICIPAL_ADMIN = "municipal_admin", _("Municipal administrator")
    NATIONAL_OPERATOR = "national_operator", _("National operator")
    AUDITOR = "auditor", _("Auditor")


FAMILY_ROLES = frozenset({Role.GUARDIAN, Role.PROXY})
FACILITY_ROLES = frozenset({Role.FACILITY_STAFF, Role.FACILITY_MANAGER})
MUNICIPAL_ROLES = frozenset(
    {Role.MUNICIPAL_REVIEWER, Role.MUNICIPAL_PAYMENTS, Role.MUNICIPAL_ADMIN, Role.AUDITOR}
)
#: Roles that must pass a second factor (TOTP or a passkey) before doing anything.
SECOND_FACTOR_ROLES = FACILITY_ROLES | MUNICIPAL_ROLES | {Role.NATIONAL_OPERATOR}


#: Django's own salt for the session hash (``AbstractBaseUser.get_session_auth_hash``).
_SESSION_HASH_SALT = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields):
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields):
        fields.setdefault("role", Role.NATIONAL_OPERATOR)
        fields.update(is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("name"), max_length=100, blank=True)
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.GUARDIAN)
    municipality = models.ForeignKey(
        "municipalities.Municipality",
        verbose_name=_("municipality"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
    )
    facility = models.ForeignKey(
        "facilities.Facility",
        verbose_name=_("facility"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
    )
    language = models.CharField(
        _("language for notices"),
        max_length=8,
        choices=[("ja", "日本語"), ("en", "English")],
        default="ja",
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), auto_now_add=True)
    #: Raised by one to end every session of the account at its next request (deactivation, a
    #: role change; ``accounts.services.end_sessions``): it is folded into the session hash.
    session_epoch = models.PositiveIntegerField(_("session epoch"), default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                name="staff_bound_to_their_organisation",
                violation_error_message=_(
                    "A staff account must belong to its municipality or facility."
                ),
                condition=(
                    models.Q(role__in=sorted(MUNICIPAL_ROLES), municipality__isnull=False)
                    | models.Q(role__in=sorted(FACILITY_ROLES), facility__isnull=False)
                    | models.Q(
                        role__in=[Role.GUARDIAN, Role.PROXY, Role.NATIONAL_OPERATOR],
                        facility__isnull=True,
                    )
                ),
            )
        ]

    def __str__(self) -> str:
        return self.email

    # --- Sessions end when the epoch moves ------------------------------------------------
    # django.contrib.auth keeps this hash in the session at login and compares it on every
    # request; a different hash logs the session out (as a password change does). Epoch 0
    # gives Django's own hash, so sessions made before the epoch existed stay valid.

    def _epoch_hash(self, secret=None) -> str:
        value = self.password if not self.session_epoch else f"{self.password}:{self.session_epoch}"
        return salted_hmac(_SESSION_HASH_SALT, value, secret=secret, algorithm="sha256").hexdigest()

    def get_session_auth_hash(self) -> str:
        return self._epoch_hash()

    def get_session_auth_fallback_hash(self):
        for fallback_secret in settings.SECRET_KEY_FALLBACKS:
            yield self._epoch_hash(secret=fallback_secret)

    @property
    def is_staff(self) -> bool:  # Django admin is not used; no one is "staff" in its sense
        return False

    @property
    def is_family(self) -> bool:
        return self.role in FAMILY_ROLES

    @property
    def is_facility(self) -> bool:
        return self.role in FACILITY_ROLES

    @property
    def is_municipal(self) -> bool:
        return self.role in MUNICIPAL_ROLES

    @property
    def needs_second_factor(self) -> bool:
        return self.role in SECOND_FACTOR_ROLES


# --- Staff invitations (issue 9 item 8) ---------------------------------------------------------


class Invitation(models.Model):
    """What every staff invitation holds: the address it went to, the role it gives, the hash
    of its one-use token (the token itself is only in the email's link), who sent it and until
    when it works. ``facilities.StaffInvitation`` (a facility's staff) and ``WardInvitation``
    (a ward's staff) add the organisation the new account will belong to; both go through
    ``accounts.invitations``."""

    email = models.EmailField(_("email"))
    role = models.CharField(_("role"), max_length=32)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    def __str__(self) -> str:  # never the address: this string can reach logs
        return f"{type(self).__name__} {self.pk} ({self.role})"

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label) if self.role in Role.values else self.role


class WardInvitation(TenantModel, Invitation):
    """An invitation to a municipality's staff: by its administrator, or by the national
    operator for a new municipality's first administrator."""

    TENANT_PATHS = ("municipality",)

    municipality = models.ForeignKey(
        "municipalities.Municipality", on_delete=models.CASCADE, related_name="staff_invitations"
    )

    class Meta(TenantModel.Meta):
        ordering = ["-created_at"]
