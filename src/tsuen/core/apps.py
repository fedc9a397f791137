from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tsuen.core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.core import checks
        from django.db.models import fields

        from tsuen.core.forms import BLANK_LABEL

        fields.BLANK_CHOICE_LABEL = BLANK_LABEL  # Django's documented hook (6.1)

        from tsuen.core.checks import check_session_store, check_shared_cache

        checks.register(check_shared_cache, checks.Tags.security, deploy=True)
        checks.register(check_session_store, checks.Tags.security, checks.Tags.caches, deploy=True)

        # Residency (start-up, not only `check --deploy`: a WSGI server importing tsuen.wsgi
        # fails here), then the outbound guard with the same hosts (docs/deploy.md).
        from django.conf import settings

        from tsuen.core import egress
        from tsuen.core.residency import require_residency

        egress.install(require_residency(settings))
