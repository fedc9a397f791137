"""The ward's retention schedule, legal holds and purge runs (council checklist item 3).

* :class:`RetentionRule` -- a ward's own period for one record class (without a row, the
  default of :mod:`tsuen.retention.schedule` applies);
* :class:`LegalHold` -- a household, child or facility whose records are not deleted while the
  hold lasts (set and released with a reason, both audited);
* :class:`PurgeRun` -- one deletion: asked for by one ward administrator with the dry run's
  counts, approved by another, executed once; it keeps the deletion report (消去報告書).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tsuen.core.tenancy import TenantModel
from tsuen.retention.schedule import RecordClass

RECORD_CLASS_LABELS = {
    RecordClass.CERTIFICATIONS: _("Ended certifications with their applications"),
    RecordClass.APPLICATIONS: _("Applications not certified (rejected, withdrawn, abandoned)"),
    RecordClass.BOOKINGS: _("Bookings with their attendance"),
    RecordClass.FEE_CLASSES: _("Household fee classes that ended"),
    RecordClass.CARE_RECORDS: _(
        "Care records (daily records, morning notes, growth, emergency contacts, requests, "
        "doctors' certificates)"
    ),
    RecordClass.EVIDENCE_FILES: _("Fee-class evidence files"),
    RecordClass.CLAIMS: _("Claims with their lines and queries (whole correction chains)"),
    RecordClass.HOUSEHOLDS: _(
        "Households with no record left (guardians, children, proxies and their profiles)"
    ),
    RecordClass.ACCOUNTS: _("Closed log-in accounts (anonymised: no email, name or password left)"),
}

RECORD_CLASS_CHOICES = [(c.value, RECORD_CLASS_LABELS[c]) for c in RecordClass]


class RetentionRule(TenantModel):
    TENANT_PATHS = ("municipality",)

    municipality = models.ForeignKey(
        "municipalities.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    record_class = models.CharField(_("record class"), max_length=24, choices=RECORD_CLASS_CHOICES)
    period = models.PositiveSmallIntegerField(_("retention period"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "record_class"], name="retention_one_rule_per_class"
            )
        ]


class HoldTarget(models.TextChoices):
    HOUSEHOLD = "household", _("Household")
    CHILD = "child", _("Child")
    FACILITY = "facility", _("Facility")


class LegalHold(TenantModel):
    TENANT_PATHS = ("municipality",)

    municipality = models.ForeignKey(
        "municipalities.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    household = models.ForeignKey(
        "families.Household", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    child = models.ForeignKey(
        "families.Child", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    facility = models.ForeignKey(
        "facilities.Facility", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(_("reason for the hold"), max_length=200)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField()
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.CharField(_("reason for the release"), max_length=200, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="legal_hold_one_target",
                condition=(
                    models.Q(household__isnull=False, child__isnull=True, facility__isnull=True)
                    | models.Q(household__isnull=True, child__isnull=False, facility__isnull=True)
                    | models.Q(household__isnull=True, child__isnull=True, facility__isnull=False)
                ),
            )
        ]

    @property
    def target_kind(self) -> str:
        if self.household_id:
            return HoldTarget.HOUSEHOLD
        return HoldTarget.CHILD if self.child_id else HoldTarget.FACILITY

    @property
    def target_label(self) -> str:
        return str(HoldTarget(self.target_kind).label)

    @property
    def target_id(self) -> int:
        return self.household_id or self.child_id or self.facility_id


class RunStatus(models.TextChoices):
    REQUESTED = "requested", _("Waiting for a second administrator's approval")
    APPROVED = "approved", _("Approved, not executed yet")
    EXECUTED = "executed", _("Executed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = (RunStatus.REQUESTED, RunStatus.APPROVED)


class PurgeRun(TenantModel):
    TENANT_PATHS = ("municipality",)

    municipality = models.ForeignKey(
        "municipalities.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=12, choices=RunStatus.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    #: The dry run's counts when it was asked for: {record class: {model label: rows}}.
    planned = models.JSONField(default=dict)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    #: "screen" or "command" (cron, the scheduled task).
    executed_via = models.CharField(max_length=12, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    #: What was deleted: {record class: {model label: rows}}.
    deleted = models.JSONField(default=dict)
    #: The rule applied per record class: {record class: {period, unit, cutoff, rule}}.
    rules = models.JSONField(default=dict)
    report_pdf = models.BinaryField(null=True, blank=True)
    report_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            # One open run per ward: a second request waits for the first to end.
            models.UniqueConstraint(
                fields=["municipality"],
                condition=models.Q(status__in=["requested", "approved"]),
                name="retention_one_open_run",
            )
        ]
