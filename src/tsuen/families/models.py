"""Households, guardians and children: the people the program serves.

Personal data (P) is tenant- and relationship-scoped; sensitive data (S) is also encrypted at
rest field by field. docs/data-inventory.md lists every field with its class and retention.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tsuen.core.tenancy import TenantModel
from tsuen.privacy.fields import EncryptedBooleanField, EncryptedJSONField, EncryptedTextField

katakana = RegexValidator(r"^[ァ-ヶー　 ]+$", _("Enter the reading in full-width katakana."))
postal_code = RegexValidator(r"^\d{3}-?\d{4}$", _("Enter a seven-digit postal code."))


class Sex(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other / not stated")


class FeeClass(models.TextChoices):
    """Household fee class for the user-fee reduction (利用料の減免区分)."""

    NONE = "none", _("No reduction")
    PUBLIC_ASSISTANCE = "public_assistance", _("Public assistance (生活保護)")
    TAX_EXEMPT = "tax_exempt", _("Municipal-tax exempt (市町村民税非課税)")
    LOW_INCOME = "low_income", _("Income-based municipal tax under 77,101 yen")
    SUPPORT_NEEDED = "support_needed", _("Support-needed household (要支援世帯)")


class Address(models.Model):
    postal_code = models.CharField(_("postal code"), max_length=8, validators=[postal_code])
    prefecture = models.CharField(_("prefecture"), max_length=10)
    city = models.CharField(_("city / ward"), max_length=50)
    address_line = models.CharField(_("address"), max_length=200)

    class Meta:
        abstract = True


class Household(TenantModel, Address):
    TENANT_PATHS = ("municipality",)

    municipality = models.ForeignKey(
        "municipalities.Municipality", on_delete=models.PROTECT, related_name="households"
    )
    support_needed = EncryptedBooleanField(_("support-needed household"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return f"household {self.pk}"


class HouseholdFeeClass(TenantModel):
    """The reduction class with its validity: the tax basis switches every September."""

    TENANT_PATHS = ("household__municipality",)

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="fee_classes")
    fee_class = EncryptedTextField(_("fee class"), choices=FeeClass.choices)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["household", "valid_from"]
        constraints = [
            models.CheckConstraint(
                name="fee_class_validity_ordered",
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
            )
        ]


class Person(models.Model):
    family_name = models.CharField(_("family name"), max_length=50)
    given_name = models.CharField(_("given name"), max_length=50)
    family_name_kana = models.CharField(
        _("family name (katakana)"), max_length=100, validators=[katakana]
    )
    given_name_kana = models.CharField(
        _("given name (katakana)"), max_length=100, validators=[katakana]
    )
    birth_date = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=8, choices=Sex.choices)

    class Meta:
        abstract = True

    @property
    def full_name(self) -> str:
        return f"{self.family_name} {self.given_name}"


class Guardian(TenantModel, Person):
    TENANT_PATHS = ("household__municipality",)

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="guardians")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="guardian",
    )
    relation = models.CharField(_("relation to the child"), max_length=30)
    phone = models.CharField(_("phone"), max_length=20)
    email = models.EmailField(_("email"))
    workplace = models.CharField(_("workplace or school"), max_length=100, blank=True)
    is_primary = models.BooleanField(_("primary guardian"), default=False)

    class Meta:
        verbose_name = _("guardian")
        verbose_name_plural = _("guardians")

    def __str__(self) -> str:
        return self.full_name


class ProxyGrant(TenantModel):
    """A proxy user (代理利用者) acting for a household, invited by a guardian."""

    TENANT_PATHS = ("household__municipality",)

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="proxies")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="proxy_grants"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["household", "user"],
                condition=models.Q(revoked_at__isnull=True),
                name="one_live_proxy_grant",
            )
        ]


class Child(TenantModel, Person):
    TENANT_PATHS = ("household__municipality",)

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="children")
    # S-class: encrypted, shown to facilities only as far as care needs it.
    disability = EncryptedBooleanField(_("disability"))
    medical_care = EncryptedBooleanField(_("needs medical care (医療的ケア)"))
    allergies = EncryptedJSONField(_("diagnosed allergies"))
    meal_requirements = EncryptedTextField(_("meal requirements (incl. religious rules)"))
    illnesses = EncryptedJSONField(_("illnesses"))
    vaccinations = EncryptedJSONField(_("vaccinations"))
    development_notes = EncryptedTextField(_("development notes"))
    # P-class
    pickup_persons = models.JSONField(_("who drops off and picks up"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("child")
        verbose_name_plural = _("children")

    def __str__(self) -> str:
        return self.full_name


class EmergencyContact(TenantModel):
    TENANT_PATHS = ("child__household__municipality",)

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="emergency_contacts")
    name = models.CharField(_("name"), max_length=100)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    relation = models.CharField(_("relation"), max_length=30)
    phone = models.CharField(_("phone"), max_length=20)
    email = models.EmailField(_("email"), blank=True)
    priority = models.PositiveSmallIntegerField(_("order"), default=1)

    class Meta:
        ordering = ["child", "priority"]


class GrowthRecord(TenantModel):
    TENANT_PATHS = ("child__household__municipality",)

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="growth_records")
    measured_on = models.DateField(_("measured on"))
    height_cm = models.DecimalField(_("height (cm)"), max_digits=4, decimal_places=1)
    weight_kg = models.DecimalField(_("weight (kg)"), max_digits=4, decimal_places=1)

    class Meta:
        ordering = ["child", "measured_on"]


class ProxyInvitation(TenantModel):
    """A guardian's invitation to a proxy user (代理利用者), sent by email.

    Only a hash of the link's random token is kept: a leaked database cannot be turned into
    working invitation links. An invitation is used once, until it expires or is revoked.
    """

    TENANT_PATHS = ("household__municipality",)

    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="proxy_invitations"
    )
    email = models.EmailField(_("email"))
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["household", "-created_at"]
        constraints = [
            models.CheckConstraint(
                name="proxy_invitation_used_or_revoked_once",
                condition=models.Q(accepted_at__isnull=True) | models.Q(revoked_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"proxy invitation {self.pk}"
