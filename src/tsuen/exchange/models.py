"""An exchange file uploaded for import, waiting for its preview to be confirmed.

The bytes are a :class:`tsuen.files.models.StoredFile` (scanned, encrypted, bound to its row);
this row ties it to the administrator who uploaded it and the encoding chosen, for a short
time (``EXCHANGE_UPLOAD_TTL_SECONDS``): the file is deleted when the import is committed or
discarded, and by ``manage.py purge_exchange_uploads`` once it has expired.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tsuen.core.tenancy import TenantModel


class ExchangeUpload(TenantModel):
    TENANT_PATHS = ("municipality",)

    #: The preview's address (random, URL-safe).
    token = models.CharField(max_length=64, unique=True)
    municipality = models.ForeignKey(
        "municipalities.Municipality", on_delete=models.CASCADE, related_name="+"
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    file = models.OneToOneField(
        "files.StoredFile", on_delete=models.CASCADE, related_name="exchange_upload"
    )
    #: The encoding the administrator chose ("" = found from the bytes).
    encoding = models.CharField(_("character encoding"), max_length=8, blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"exchange upload {self.pk}"
