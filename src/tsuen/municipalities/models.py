"""Municipalities (the tenants) and their policy for each fiscal year."""

from __future__ import annotations

import datetime as dt

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tsuen.core.tenancy import TenantModel


class Municipality(models.Model):
    """A 市区町村, identified by its 全国地方公共団体コード (JIS X 0402, five digits)."""

    code = models.CharField(
        _("municipality code"),
        max_length=5,
        unique=True,
        validators=[RegexValidator(r"^\d{5}$", _("Enter the five-digit municipality code."))],
    )
    name = models.CharField(_("name"), max_length=50)
    name_kana = models.CharField(_("name (kana)"), max_length=100, blank=True)
    prefecture = models.CharField(_("prefecture"), max_length=10)
    certificate_prefix = models.CharField(
        _("certificate number prefix"),
        max_length=10,
        blank=True,
        help_text=_("Certificate numbers read <prefix><fiscal year>-<serial>."),
    )
    read_only = models.BooleanField(_("read-only (incident switch)"), default=False)

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.prefecture}{self.name}"


class EligibilityEnd(models.TextChoices):
    NATIONAL = "national", _("Two days before the third birthday (national rule)")
    FISCAL_YEAR_END_AGE_3 = (
        "fiscal_year_end_age_3",
        _("31 March of the fiscal year in which the child turns three"),
    )


class MunicipalPolicy(TenantModel):
    """The municipality's rules for one fiscal year, from an effective date.

    Versioned: a change is a new row with a later ``effective_from``; rows are never edited once
    in force. Caps and funding buckets are lists (see ``tsuen.rules``) kept as JSON.
    """

    TENANT_PATHS = ("municipality",)

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="policies"
    )
    fiscal_year = models.PositiveSmallIntegerField(
        _("fiscal year"), validators=[MinValueValidator(2025), MaxValueValidator(2100)]
    )
    effective_from = models.DateField(_("effective from"))
    min_age_months = models.PositiveSmallIntegerField(_("minimum age in months"), default=6)
    eligibility_end = models.CharField(
        _("eligibility ends"),
        max_length=32,
        choices=EligibilityEnd.choices,
        default=EligibilityEnd.NATIONAL,
    )
    excluded_enrolments = models.JSONField(_("excluded enrolments"), default=list)
    billing_minimum_minutes = models.PositiveSmallIntegerField(
        _("minimum visit (minutes)"), default=60
    )
    billing_step_minutes = models.PositiveSmallIntegerField(_("visit step (minutes)"), default=30)
    caps = models.JSONField(_("hours caps"), default=list)
    buckets = models.JSONField(_("funding buckets"), default=list)
    reductions_per_hour = models.JSONField(_("reductions per hour (yen)"), default=dict)
    free_for_residents = models.BooleanField(_("free for residents"), default=False)
    cancel_deadline_days_before = models.PositiveSmallIntegerField(
        _("cancellation deadline (days before)"), default=1
    )
    cancel_deadline_time = models.TimeField(
        _("cancellation deadline (time)"), default=dt.time(17, 0)
    )
    late_cancellation_counts = models.BooleanField(_("late cancellation counts"), default=True)
    no_show_counts = models.BooleanField(_("no-show counts"), default=True)
    booking_window_days = models.PositiveSmallIntegerField(_("booking window (days)"), default=31)
    staff_ratios = models.JSONField(_("children per adult by age class"), default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("municipal policy")
        verbose_name_plural = _("municipal policies")
        ordering = ["municipality", "fiscal_year", "effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "fiscal_year", "effective_from"],
                name="one_policy_version_per_day",
            )
        ]

    def __str__(self) -> str:
        return f"{self.municipality} FY{self.fiscal_year} from {self.effective_from}"
