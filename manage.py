#!/usr/bin/env python
"""Django's command-line utility for tsuen (code lives under src/)."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def read_local_env(path: Path) -> None:
    """``TSUEN_*=value`` lines of var/local.env, where bin/demo keeps the keys it generated, so
    that every manage.py command (runserver, db_worker, totp_code) reads the demo's data. Real
    environment variables win. The test suite never reads this file."""
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key.startswith("TSUEN_"):
            os.environ.setdefault(key, value)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    read_local_env(Path(os.environ.get("TSUEN_VAR_DIR", ROOT / "var")) / "local.env")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsuen.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
