"""Files on disk are this user's alone: the SQLite database (and its -wal and -shm files).

Uploaded files live encrypted in the database; what Django still writes to disk through a
storage (collected static files) gets FILE_UPLOAD_PERMISSIONS 0600 and directories 0700
(settings), and var/ itself is created 0700. SQLite creates its files with the process umask
(often 0644), so each new connection tightens them to 0600.
"""

from __future__ import annotations

import logging
import os
import stat

logger = logging.getLogger("tsuen.files")


def restrict_sqlite_files(sender, connection, **kwargs) -> None:
    if connection.vendor != "sqlite":
        return
    name = str(connection.settings_dict["NAME"])
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    for path in (name, f"{name}-wal", f"{name}-shm", f"{name}-journal"):
        try:
            if stat.S_IMODE(os.stat(path).st_mode) != 0o600:
                os.chmod(path, 0o600)
        except FileNotFoundError:
            continue
        except OSError as exc:  # not ours to change: say so, but do not stop the connection
            logger.warning("could not restrict %s to 0600: %s", path, exc)
