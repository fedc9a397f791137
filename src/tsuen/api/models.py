"""API clients: a facility's or a ward's own system, with its own credentials and scopes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tsuen.core.tenancy import TenantModel


class ApiClient(TenantModel):
    """One system that calls the API (docs/api.md).

    Owned by one facility or one municipality (never both). It acts through its own system
    ``user`` (a staff account of its owner that cannot log in interactively), so that the one
    authorization layer decides its reach as for a person and every call is audited as that
    user; its ``scopes`` (from ``tsuen.api.scopes``) narrow the operations it may call.

    The secret is shown once. Only its SHA-256 is stored (a random 32-byte token needs no
    slow hash); ``key_prefix`` finds the row, the hash is compared in constant time."""

    TENANT_PATHS = ("municipality", "facility__municipality")

    name = models.CharField(_("name"), max_length=100)
    municipality = models.ForeignKey(
        "municipalities.Municipality",
        verbose_name=_("municipality"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="api_clients",
    )
    facility = models.ForeignKey(
        "facilities.Facility",
        verbose_name=_("facility"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="api_clients",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_client"
    )
    scopes = models.JSONField(_("scopes"), default=list)
    key_prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantModel.Meta):
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="api_client_one_owner",
                condition=(
                    models.Q(municipality__isnull=False, facility__isnull=True)
                    | models.Q(municipality__isnull=True, facility__isnull=False)
                ),
            )
        ]

    def __str__(self) -> str:
        return f"ApiClient {self.pk} ({self.name})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def owner_kind(self) -> str:
        return "ward" if self.municipality_id else "facility"
