"""Certification (乳児等支援給付認定): applications, their status history, and certifications."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tsuen.core.tenancy import TenantModel
from tsuen.families.models import FeeClass
from tsuen.privacy.fields import EncryptedJSONField, EncryptedTextField


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    CORRECTION_REQUESTED = "correction_requested", _("Correction requested")
    CERTIFIED = "certified", _("Certified")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


#: Applications waiting for the ward: submitted, or sent back for a correction.
WAITING = (ApplicationStatus.SUBMITTED, ApplicationStatus.CORRECTION_REQUESTED)

#: Statuses in which the family may still change the application.
OPEN_FOR_EDITING = (ApplicationStatus.DRAFT, ApplicationStatus.CORRECTION_REQUESTED)


class Application(TenantModel):
    """An application for certification (乳児等支援給付認定申請).

    ``entries`` holds what the applicant typed (guardian, address, fee class, children) as the
    form's data, so that a draft keeps half-filled answers between visits; on submission the
    answers are checked and written to the household, guardian and child rows, and ``entries``
    stays as the record of what was declared (the PDF copy is made from it).
    """

    TENANT_PATHS = ("municipality",)

    municipality = models.ForeignKey(
        "municipalities.Municipality", on_delete=models.PROTECT, related_name="applications"
    )
    household = models.ForeignKey(
        "families.Household", on_delete=models.CASCADE, related_name="applications"
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications"
    )
    status = models.CharField(
        _("status"),
        max_length=24,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.DRAFT,
    )
    declared_fee_class = EncryptedTextField(_("declared fee class"), choices=FeeClass.choices)
    message_to_applicant = EncryptedTextField(_("message to the applicant"))
    entries = EncryptedJSONField(_("entered data"), default=dict)
    fee_evidence = models.ForeignKey(
        "files.StoredFile",
        verbose_name=_("evidence of the fee class"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        indexes = [models.Index(fields=["municipality", "status", "submitted_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["applicant", "municipality"],
                condition=models.Q(status="draft"),
                name="one_open_draft_per_applicant_and_municipality",
            )
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        """The application number shown to people: A-000123."""
        return f"A-{self.pk:06d}"

    @property
    def is_open_for_editing(self) -> bool:
        return self.status in OPEN_FOR_EDITING


class ApplicationChild(TenantModel):
    TENANT_PATHS = ("application__municipality",)

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="children")
    child = models.ForeignKey(
        "families.Child", on_delete=models.CASCADE, related_name="application_entries"
    )
    declares_no_excluded_enrolment = models.BooleanField(
        _("declares the child attends no excluded facility")
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["application", "child"], name="child_once_per_application"
            )
        ]


class ApplicationStatusChange(TenantModel):
    """Status history: the applicant can always see where the application stands."""

    TENANT_PATHS = ("application__municipality",)

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=24, choices=ApplicationStatus.choices, blank=True)
    to_status = models.CharField(max_length=24, choices=ApplicationStatus.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = EncryptedTextField(_("note"))

    class Meta:
        ordering = ["application", "at", "pk"]


class CertificationStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")


class EndReason(models.TextChoices):
    AGED_OUT = "aged_out", _("Reached the end of eligibility")
    MOVED_OUT = "moved_out", _("Moved out of the municipality")
    EXCLUDED_ENROLMENT = "excluded_enrolment", _("Enrolled in an excluded facility")
    REQUESTED = "requested", _("At the guardian's request")


class Certification(TenantModel):
    TENANT_PATHS = ("municipality",)

    municipality = models.ForeignKey(
        "municipalities.Municipality", on_delete=models.PROTECT, related_name="certifications"
    )
    child = models.ForeignKey(
        "families.Child", on_delete=models.CASCADE, related_name="certifications"
    )
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, null=True, blank=True, related_name="certifications"
    )
    number = models.CharField(_("certificate number"), max_length=30)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=CertificationStatus.choices,
        default=CertificationStatus.ACTIVE,
    )
    certified_at = models.DateTimeField()
    certified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    end_reason = models.CharField(
        _("end reason"), max_length=24, choices=EndReason.choices, blank=True
    )

    class Meta:
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "number"], name="certificate_number_unique_in_municipality"
            ),
            models.CheckConstraint(
                name="certification_validity_ordered",
                condition=models.Q(valid_to__gte=models.F("valid_from")),
            ),
            models.UniqueConstraint(
                fields=["child"],
                condition=models.Q(status="active"),
                name="one_active_certification_per_child",
            ),
        ]


class CertificationStatusChange(TenantModel):
    TENANT_PATHS = ("certification__municipality",)

    certification = models.ForeignKey(
        Certification, on_delete=models.CASCADE, related_name="history"
    )
    to_status = models.CharField(max_length=12, choices=CertificationStatus.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = EncryptedTextField(_("note"))

    class Meta:
        ordering = ["certification", "at", "pk"]


class ChangeKind(models.TextChoices):
    """What changed about a certification, for the ward systems' change feed (issue 13)."""

    CERTIFIED = "certified", _("Certified")
    VALIDITY = "validity", _("Validity changed")
    FEE_CLASS = "fee_class", _("Fee class changed")
    STATUS = "status", _("Status changed")


class CertificationChange(TenantModel):
    """The ordered change log a ward system follows (``certification.changes``, issue 13).

    One row per change a ward system must know about, appended in the transaction that makes
    the change; ``pk`` only grows, so a cursor is the last ``pk`` read. The row names what
    changed, never the values: the feed reads the certification's state when it is asked.
    """

    TENANT_PATHS = ("municipality",)

    id = models.BigAutoField(primary_key=True)
    municipality = models.ForeignKey(
        "municipalities.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    certification = models.ForeignKey(
        Certification, on_delete=models.CASCADE, related_name="change_log"
    )
    kind = models.CharField(max_length=12, choices=ChangeKind.choices)
    changed_at = models.DateTimeField()

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["municipality", "id"], name="certification_change_feed")]
