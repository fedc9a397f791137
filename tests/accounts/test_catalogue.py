"""The accounts app keeps its own translation catalogue (src/tsuen/accounts/locale): every
string in its current source is translated into Japanese, and English is complete."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
MAKEMESSAGES = [sys.executable, "-m", "django", "makemessages", "-l", "ja", "-l", "en"]


def test_accounts_catalogue_is_complete_for_the_current_source(tmp_path):
    copy = tmp_path / "tsuen"
    shutil.copytree(
        SRC / "tsuen", copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "migrations")
    )
    env = os.environ | {
        "PYTHONPATH": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "tsuen.settings",
        "TSUEN_VAR_DIR": str(tmp_path / "var"),
    }
    subprocess.run(
        [*MAKEMESSAGES, "--no-obsolete", "--no-location", "-v0"],
        cwd=copy / "accounts",
        env=env,
        check=True,
    )
    for language in ("ja", "en"):
        po = copy / "accounts" / "locale" / language / "LC_MESSAGES" / "django.po"
        stats = subprocess.run(
            ["msgfmt", "--statistics", "-o", os.devnull, str(po)],
            capture_output=True,
            text=True,
            check=True,
        ).stderr
        assert "untranslated" not in stats and "fuzzy" not in stats, f"{language}: {stats}"
