"""Development mail: readable (UTF-8 headers, 8-bit body, never base64), all in one file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.core.mail import EmailMessage

from tsuen.core.mail import DevMailBackend

BODY = "ひだまり保育園での見本 一花さんの予約が確定しました。日付: 令和8年12月3日 10:00–12:00\n" * 2


def test_every_email_is_appended_readable_to_one_file(tmp_path):
    path = tmp_path / "mail.log"
    for n in (1, 2):  # e.g. one from the web server, one from the worker
        message = EmailMessage(
            f"【新宿区 こども誰でも通園】予約が確定しました {n}",
            BODY,
            "no-reply@tsuen.example.jp",
            ["oya@example.jp"],
        )
        assert DevMailBackend(path=path).send_messages([message]) == 1
    text = path.read_text(encoding="utf-8")
    assert "Subject: 【新宿区 こども誰でも通園】予約が確定しました 1" in text
    assert "Subject: 【新宿区 こども誰でも通園】予約が確定しました 2" in text
    assert text.count("ひだまり保育園での見本 一花さんの予約が確定しました。") == 4
    assert "Content-Transfer-Encoding: 8bit" in text
    assert "base64" not in text and "=?utf-8?" not in text


def test_a_development_server_sends_every_email_to_var_mail_log(tmp_path):
    """What ``bin/demo`` runs: TSUEN_DEBUG=1 and no TSUEN_EMAIL_BACKEND."""
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k != "TSUEN_EMAIL_BACKEND"}
    subprocess.run(
        [sys.executable, "manage.py", "sendtestemail", "oya@example.jp"],
        cwd=root, capture_output=True, check=True,
        env=env | {"TSUEN_VAR_DIR": str(tmp_path), "TSUEN_DEBUG": "1", "TSUEN_DB": "sqlite"},
    )  # fmt: skip
    text = (tmp_path / "mail.log").read_text(encoding="utf-8")
    assert "To: oya@example.jp" in text and "base64" not in text
