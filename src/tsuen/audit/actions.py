"""What an audit event says happened. Importable before the app registry is ready."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    READ = "read", _("Read")
    LIST = "list", _("Listed")
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    DELETE = "delete", _("Deleted")
    EXPORT = "export", _("Exported")
    DOWNLOAD = "download", _("Downloaded a file")
    PURGE = "purge", _("Purged under the retention schedule")
    LOGIN = "login", _("Logged in")
    LOGIN_FAILED = "login_failed", _("Login failed")
    LOGOUT = "logout", _("Logged out")
    LOCKOUT = "lockout", _("Locked out after failed logins")
    DENIED = "denied", _("Access denied")
    EMERGENCY_SWITCH = "emergency_switch", _("Emergency switch used")
    MALWARE_FOUND = "malware_found", _("Upload refused: malware found")
    ANOMALY_DISPOSED = "anomaly_disposed", _("Anomaly disposed of (explained or escalated)")


#: Actions that disclose personal data to the actor ("who saw this child's data?").
READ_ACTIONS = frozenset({Action.READ, Action.LIST, Action.EXPORT, Action.DOWNLOAD})
#: Actions that change personal data ("who changed this record?").
CHANGE_ACTIONS = frozenset({Action.CREATE, Action.UPDATE, Action.DELETE, Action.PURGE})
