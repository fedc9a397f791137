"""``check --deploy``: the audit chain's key is set, well formed and not the public one."""

from __future__ import annotations

from django.core import checks
from django.core.exceptions import ImproperlyConfigured


def check_audit_keys(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    from tsuen.audit.chain import audit_keys

    try:
        audit_keys()
    except ImproperlyConfigured as exc:
        return [
            checks.Error(
                str(exc),
                hint="Set TSUEN_AUDIT_KEYS to 'version:base64key' where the audit sequencer, "
                "the daily verification and the app servers run (docs/audit.md).",
                id="audit.E001",
            )
        ]
    return []
