"""A protected export (保護されたエクスポート) waiting to be downloaded by the person who asked
for it: only the AES-256 ZIP is kept, never its password, and only for a few minutes.

docs/exports.md explains the flow and what is exempt.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ProtectedExport(models.Model):
    #: The export's address (random, URL-safe); the primary key is never shown.
    token = models.CharField(max_length=64, unique=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    #: The one-time id of the form that asked for it: posting the same form again (a reload)
    #: finds this export instead of making a second file and showing a second password.
    request_id = models.CharField(max_length=64)
    #: The audit chain its downloads are recorded on (that of the export event).
    municipality = models.ForeignKey(
        "municipalities.Municipality",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    #: The children the file is about, so that each download names them in the audit trail.
    subject_child_ids = models.JSONField(default=list, blank=True)
    zip_name = models.CharField(max_length=120)
    zip_data = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "request_id"], name="one_export_per_request"),
        ]

    def __str__(self) -> str:
        return self.zip_name
