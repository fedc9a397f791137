"""People who log in. One account holds one role; staff accounts are bound to their
municipality or facility, which is where the authorization layer starts."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils.translation import gettext_lazy as _


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
