"""Japanese first, English second: every user-facing string has both translations."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"


def _statistics(po: Path) -> str:
    result = subprocess.run(
        ["msgfmt", "--statistics", "-o", os.devnull, str(po)],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stderr.strip()


def test_catalogues_are_complete_for_the_current_source(tmp_path):
    """Extract the strings of the source as it is now (in a copy, so the repository's
    catalogues are untouched) and merge them into copies of our catalogues: nothing may come
    out untranslated or fuzzy in Japanese or English."""
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
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "-l",
            "ja",
            "-l",
            "en",
            "--no-obsolete",
            "--no-location",
            "-v0",
        ],
        cwd=copy,
        env=env,
        check=True,
    )
    catalogues = sorted(copy.glob("**/locale/*/LC_MESSAGES/django.po"))
    assert {po.parts[-3] for po in catalogues} == {"ja", "en"}
    for po in catalogues:
        stats = _statistics(po)
        assert "untranslated" not in stats and "fuzzy" not in stats, (
            f"{po.relative_to(copy)}: {stats} — run bin/messages and translate the new entries"
        )


@pytest.mark.django_db
def test_pages_speak_japanese_first_and_english_on_request(client):
    assert "ログイン" in client.get("/").text
    english = client.get("/", headers={"accept-language": "en"}).text
    assert "Log in" in english and "ログイン" not in english
