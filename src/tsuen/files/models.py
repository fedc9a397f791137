"""Uploaded files (fee-class evidence, doctors' certificates, facility photos).

Files live in private storage (``STORAGES["default"]``, outside the static path) under a random
name and are served only through ``files:download``, which authorizes and audits every read.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tsuen.core.tenancy import TenantModel


class Purpose(models.TextChoices):
    FEE_EVIDENCE = "fee_evidence", _("Evidence of the household fee class")
    DOCTOR_CERTIFICATE = "doctor_certificate", _("Doctor's certificate")
    FACILITY_PHOTO = "facility_photo", _("Facility photo")


class ScanStatus(models.TextChoices):
    NOT_SCANNED = "not_scanned", _("Not scanned (no scanner configured)")
    CLEAN = "clean", _("Scanned: clean")


class StoredFile(TenantModel):
    TENANT_PATHS = ("municipality",)

    municipality = models.ForeignKey(
        "municipalities.Municipality", on_delete=models.PROTECT, related_name="+"
    )
    household = models.ForeignKey(
        "families.Household", on_delete=models.CASCADE, null=True, blank=True, related_name="files"
    )
    child = models.ForeignKey(
        "families.Child", on_delete=models.CASCADE, null=True, blank=True, related_name="files"
    )
    facility = models.ForeignKey(
        "facilities.Facility", on_delete=models.CASCADE, null=True, blank=True, related_name="files"
    )
    purpose = models.CharField(_("purpose"), max_length=24, choices=Purpose.choices)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_name = models.CharField(max_length=200, unique=True)
    scan_status = models.CharField(max_length=16, choices=ScanStatus.choices)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="file_has_one_owner",
                condition=models.Q(household__isnull=False) | models.Q(facility__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return self.original_name
