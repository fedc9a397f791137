"""Anomalies found in a ward's audit log, and what the ward decided about each.

An anomaly names an account (its id and role, as the audit log does) or a source address, the
rule, the window (a day or an hour, Japan time) and the figures that triggered it — counts
only, never a person's values. The ward's administrator or auditor disposes of it once:
explained or escalated, with a note; the disposition is an audit event.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tsuen.core.tenancy import TenantModel


class Rule(models.TextChoices):
    OFF_HOURS = "off_hours", _("Access outside office hours")
    VOLUME = "volume", _("Far more children read than peers")
    NO_RELATIONSHIP = "no_relationship", _("Sensitive data read with no live relationship")
    BULK_EXPORT = "bulk_export", _("Bulk exports")
    DENIALS = "denials", _("Repeated denials")
    LOCKOUT = "lockout", _("Lockout")


class Disposition(models.TextChoices):
    OPEN = "open", _("Not disposed of yet")
    EXPLAINED = "explained", _("Explained")
    ESCALATED = "escalated", _("Escalated")


class Anomaly(TenantModel):
    TENANT_PATHS = ("municipality",)

    municipality = models.ForeignKey(
        "municipalities.Municipality",
        verbose_name=_("municipality"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    rule = models.CharField(_("rule"), max_length=20, choices=Rule.choices)
    #: What the anomaly is about, the key of its uniqueness: ``account:<id>`` or
    #: ``address:<source address>``.
    subject = models.CharField(_("about"), max_length=64)
    actor_id = models.BigIntegerField(_("account id"), null=True, blank=True)
    actor_role = models.CharField(_("role"), max_length=32, blank=True)
    source_address = models.CharField(_("source address"), max_length=45, blank=True)
    window_start = models.DateTimeField(_("from"))
    window_end = models.DateTimeField(_("until"))
    figures = models.JSONField(_("figures (counts only)"), default=dict)
    found_at = models.DateTimeField(_("found"))
    #: When a later run saw the figures grow (the day was not over at the first run).
    updated_at = models.DateTimeField(_("figures updated"), null=True, blank=True)

    disposition = models.CharField(
        _("disposition"), max_length=12, choices=Disposition.choices, default=Disposition.OPEN
    )
    disposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("disposed of by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    disposed_at = models.DateTimeField(_("disposed of"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    #: The figures as they stood when the anomaly was disposed of (later runs may add to them).
    disposed_figures = models.JSONField(_("figures when disposed of"), null=True, blank=True)

    class Meta:
        verbose_name = _("anomaly")
        verbose_name_plural = _("anomalies")
        ordering = ["-window_start", "rule", "subject"]
        constraints = [
            # A re-run over the same window finds the same anomaly, never a second one.
            models.UniqueConstraint(
                fields=["municipality", "rule", "subject", "window_start"],
                name="monitoring_one_anomaly_per_window",
            ),
            models.CheckConstraint(
                condition=models.Q(disposition="open")
                | (models.Q(disposed_at__isnull=False) & ~models.Q(note="")),
                name="monitoring_disposed_with_note",
            ),
        ]
        indexes = [
            models.Index(fields=["municipality", "disposition", "-window_start"]),
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.subject} {self.window_start:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.disposition == Disposition.OPEN
