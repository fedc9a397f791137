from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FilesConfig(AppConfig):
    name = "tsuen.files"
    verbose_name = _("Files")

    def ready(self) -> None:
        from django.conf import settings
        from django.db.backends.signals import connection_created

        from tsuen.files.at_rest import restrict_sqlite_files
        from tsuen.files.blobs import rotate_blobs
        from tsuen.files.checks import require_scanner
        from tsuen.privacy.rotation import register_rotator

        # Start-up, not only `check --deploy`: a WSGI server importing tsuen.wsgi fails here.
        require_scanner(settings)
        register_rotator("file-blobs", rotate_blobs)
        connection_created.connect(restrict_sqlite_files, dispatch_uid="tsuen.files.sqlite_modes")
