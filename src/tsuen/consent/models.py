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
