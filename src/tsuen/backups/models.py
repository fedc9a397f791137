"""What was backed up and restored, and when: read by the monthly report and the status page.

A row holds no personal data: times, the command and the operating-system account that ran it,
the file's name, size and SHA-256, and the outcome with counts.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    BACKUP = "backup", _("Backup")
    RESTORE = "restore", _("Restore")
    DRILL = "drill", _("Restore drill")


class Result(models.TextChoices):
    OK = "ok", _("Succeeded")
    FAILED = "failed", _("Failed")


class BackupRunQuerySet(models.QuerySet):
    def last_of(self, kind: str) -> BackupRun | None:
        return self.filter(kind=kind).order_by("-finished_at", "-id").first()

    def last_ok(self, kind: str) -> BackupRun | None:
        return self.filter(kind=kind, result=Result.OK).order_by("-finished_at", "-id").first()


class BackupRun(models.Model):
    kind = models.CharField(_("kind of run"), max_length=12, choices=Kind.choices)
    result = models.CharField(_("result"), max_length=8, choices=Result.choices)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"))
    command = models.CharField(_("command"), max_length=200)
    operator = models.CharField(_("operator"), max_length=100)
    database_vendor = models.CharField(_("database"), max_length=20)
    file_name = models.CharField(_("file"), max_length=255, blank=True)
    size = models.BigIntegerField(_("size (bytes)"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    #: For a restore or drill: when the backup restored was made (from its manifest).
    backup_created_at = models.DateTimeField(_("backup made"), null=True, blank=True)
    detail = models.TextField(_("detail"), blank=True)

    objects = BackupRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("backup run")
        ordering = ["-finished_at", "-id"]
        indexes = [models.Index(fields=["kind", "-finished_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.result} {self.finished_at:%Y-%m-%d %H:%M}"
