"""Uploaded files (fee-class evidence, doctors' certificates, facility photos).

A :class:`StoredFile` row describes a file; its bytes live encrypted in :class:`StoredFileBlob`,
in the same database (see docs/files.md for why). Files are served only through
``files:download``, which authorizes, decrypts and audits every read.
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
    # Issue 13 item 7: a ward's exchange file waiting for its import (the ward's, no household).
    EXCHANGE_IMPORT = "exchange_import", _("Exchange file to import")


class ScanStatus(models.TextChoices):
    # Files stored before scanning was required keep this; they are not served (files/services).
    NOT_SCANNED = "not_scanned", _("Not scanned (stored before virus scanning was required)")
    CLEAN = "clean", _("Scanned: clean")
    INFECTED = "infected", _("Malware found by a later scan: not served")


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
    scan_status = models.CharField(max_length=16, choices=ScanStatus.choices)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="file_has_one_owner",
                condition=models.Q(household__isnull=False)
                | models.Q(facility__isnull=False)
                | models.Q(purpose="exchange_import"),
            )
        ]

    def __str__(self) -> str:
        return self.original_name


class StoredFileBlob(TenantModel):
    """The bytes of one :class:`StoredFile`, encrypted with the field keyring (AES-256-GCM).

    ``ciphertext`` is ``nonce || ciphertext+tag`` under key ``key_version``; its associated data
    (:func:`tsuen.files.blobs.binding`) names the file's row, owner, purpose, type and hash, so
    bytes moved to another row, or a row pointed at another owner or purpose, do not decrypt.
    Written in the same transaction as its row; deleted with it (CASCADE).
    """

    TENANT_PATHS = ("file__municipality",)

    file = models.OneToOneField(
        StoredFile, on_delete=models.CASCADE, primary_key=True, related_name="blob"
    )
    key_version = models.PositiveIntegerField()
    ciphertext = models.BinaryField()

    def __str__(self) -> str:
        return f"blob of file {self.file_id} (key v{self.key_version})"
