"""Consent to the purpose notice (利用目的への同意), council checklist item 1.

One row per consent a guardian gave for a household to one version of the purpose notice
(:mod:`tsuen.consent.notice`). A withdrawal sets ``withdrawn_at``: the row stays, so the record
of what was agreed and when is kept for as long as the household's data is.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tsuen.core.tenancy import TenantModel


class Consent(TenantModel):
    TENANT_PATHS = ("household__municipality",)

    household = models.ForeignKey(
        "families.Household", on_delete=models.CASCADE, related_name="consents"
    )
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    notice_version = models.PositiveSmallIntegerField(_("version of the purpose notice"))
    given_at = models.DateTimeField(_("agreed at"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("consent to the purpose notice")
        verbose_name_plural = _("consents to the purpose notice")
        indexes = [models.Index(fields=["household", "notice_version"])]

    def __str__(self) -> str:
        return f"consent v{self.notice_version} household {self.household_id}"

    @property
    def is_live(self) -> bool:
        return self.withdrawn_at is None


class IdentityDocument(models.TextChoices):
    """How the ward desk checked who asked (本人確認書類): one document with a photo, or two
    without (the ward's usual list for a request made in person)."""

    MY_NUMBER_CARD = "my_number_card", _("My Number Card (個人番号カード)")
    DRIVERS_LICENSE = "drivers_license", _("Driver's licence (運転免許証)")
    PASSPORT = "passport", _("Passport (旅券)")
    RESIDENCE_CARD = (
        "residence_card",
        _("Residence card or special permanent resident certificate (在留カード等)"),
    )
    DISABILITY_HANDBOOK = (
        "disability_handbook",
        _("Disability certificate handbook with photo (障害者手帳)"),
    )
    TWO_WITHOUT_PHOTO = (
        "two_without_photo",
        _(
            "Two documents without a photo, e.g. health insurance certificate and pension book "
            "(写真のない書類2点)"
        ),
    )


class RequesterRelation(models.TextChoices):
    """Who made the request, relative to the household."""

    GUARDIAN = "guardian", _("A guardian of the household (本人)")
    LEGAL_REPRESENTATIVE = "legal_representative", _("Legal representative (法定代理人)")
    AGENT = "agent", _("Agent with a power of attorney (任意代理人・委任状)")


class DeskDisclosureRequest(TenantModel):
    """A disclosure request (開示請求) made on paper at the ward's desk and handled by one of
    the ward's officials: what was received and how the requester's identity was checked, and,
    once the files were produced, when, by whom and their SHA-256. The files themselves are not
    kept (they would be a second copy of everything held); the hashes say which file was handed
    over. One request is produced once (docs/consent.md, "At the ward desk")."""

    TENANT_PATHS = ("household__municipality",)

    household = models.ForeignKey(
        "families.Household", on_delete=models.CASCADE, related_name="desk_disclosure_requests"
    )
    received_on = models.DateField(_("request received on"))
    identity_document = models.CharField(
        _("identity checked with"), max_length=30, choices=IdentityDocument.choices
    )
    requester_relation = models.CharField(
        _("requester"), max_length=30, choices=RequesterRelation.choices
    )
    note = models.TextField(_("note"), blank=True, max_length=500)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"))
    #: The one-time id of the form that recorded the request: sending it again finds this row.
    submission = models.CharField(max_length=40, unique=True)
    produced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    produced_at = models.DateTimeField(_("files produced at"), null=True, blank=True)
    pdf_sha256 = models.CharField(_("SHA-256 of the PDF"), max_length=64, blank=True)
    json_sha256 = models.CharField(_("SHA-256 of the JSON file"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("disclosure request at the desk")
        verbose_name_plural = _("disclosure requests at the desk")
        indexes = [models.Index(fields=["household", "recorded_at"])]
        constraints = [
            # No request without an identity check recorded, whatever writes the row.
            models.CheckConstraint(
                name="desk_disclosure_identity_checked",
                condition=models.Q(identity_document__in=IdentityDocument.values),
            ),
            models.CheckConstraint(
                name="desk_disclosure_requester_known",
                condition=models.Q(requester_relation__in=RequesterRelation.values),
            ),
            models.CheckConstraint(
                name="desk_disclosure_produced_whole",
                condition=(
                    models.Q(produced_at__isnull=True, produced_by__isnull=True, pdf_sha256="")
                    | models.Q(produced_at__isnull=False, produced_by__isnull=False)
                    & ~models.Q(pdf_sha256="")
                    & ~models.Q(json_sha256="")
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"desk disclosure request {self.pk} household {self.household_id}"

    @property
    def number(self) -> str:
        """The request's number on the screens and the PDF."""
        return f"D-{self.pk}"

    @property
    def is_produced(self) -> bool:
        return self.produced_at is not None
