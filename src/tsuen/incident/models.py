"""Emergency switches (緊急停止スイッチ, council checklist item 4; docs/incident.md).

One row per use of a switch: who pulled it, when, why, over which ward (none: every ward) and,
for the switches that stay on, who released it, when and why. The rows are the record the
banner, the incident screen and the enforcement (``tsuen.incident.guard``) all read; every
switch and release is also an ``emergency_switch`` audit event.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tsuen.accounts.models import Role


class Kind(models.TextChoices):
    #: Every session in scope ends at its next request (no release: it happens once).
    REVOKE_SESSIONS = "revoke_sessions", _("Sign everyone out")
    #: Every request of one role in scope is refused until released.
    DISABLE_ROLE = "disable_role", _("Turn a role off")
    #: Every write in scope is refused until released; reads go on.
    READ_ONLY = "read_only", _("Read-only")


#: The switches that stay on until someone releases them.
LASTING = frozenset({Kind.DISABLE_ROLE, Kind.READ_ONLY})


class EmergencySwitch(models.Model):
    kind = models.CharField(_("switch"), max_length=20, choices=Kind.choices)
    #: The ward it covers; empty: every ward (the national operator only).
    municipality = models.ForeignKey(
        "municipalities.Municipality",
        verbose_name=_("municipality"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    #: DISABLE_ROLE: the role turned off.
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, blank=True)
    #: REVOKE_SESSIONS of one account (its own session epoch moved as well).
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    #: How many accounts it reached when it was pulled (what the confirmation showed).
    accounts_affected = models.PositiveIntegerField(_("accounts affected"), default=0)
    reason = models.CharField(_("reason"), max_length=500)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(_("pulled at"))
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    release_reason = models.CharField(_("reason for the release"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("emergency switch")
        verbose_name_plural = _("emergency switches")
        ordering = ["-pk"]
        indexes = [models.Index(fields=["kind", "released_at"], name="incident_switch_live")]
        constraints = [
            models.CheckConstraint(
                name="incident_role_only_for_role_switch",
                condition=(models.Q(kind="disable_role") & ~models.Q(role=""))
                | (~models.Q(kind="disable_role") & models.Q(role="")),
            ),
            models.CheckConstraint(
                name="incident_sessions_never_released",
                condition=~models.Q(kind="revoke_sessions") | models.Q(released_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def is_live(self) -> bool:
        return self.kind in LASTING and self.released_at is None
