from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "tsuen.audit"

    def ready(self) -> None:
        from django.core import checks

        from tsuen.audit.checks import check_audit_keys

        # A deploy check, not a start-up refusal: appending events needs no key, and a site
        # whose sequencer lacks it keeps every event (unsealed) until it is set.
        checks.register(check_audit_keys, checks.Tags.security, deploy=True)
