"""bin/audit never reports "no vulnerabilities" for packages it could not audit (item 12)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SUMMARY = Path(__file__).resolve().parent.parent / "bin" / "audit_summary.py"


def summarise(tmp_path, report, stderr: str = "", status: int = 0):
    report_path = tmp_path / "report.json"
    if report is not None:
        report_path.write_text(json.dumps(report), encoding="utf-8")
    err = tmp_path / "err.txt"
    err.write_text(stderr, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(SUMMARY), str(report_path), str(err), str(status), "pypi"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, done.stdout


def test_every_package_skipped_is_said_to_be_not_audited(tmp_path):
    skipped = "Dependency not found on PyPI and could not be audited: django (6.1.3)"
    report = {"dependencies": [{"name": "django", "skip_reason": skipped}]}
    code, out = summarise(tmp_path, report)
    assert code == 2
    assert out.startswith("NOT AUDITED") and "Nothing is known" in out


def test_some_packages_skipped_names_them(tmp_path):
    report = {
        "dependencies": [
            {"name": "django", "version": "6.1.3", "vulns": []},
            {"name": "pillow", "skip_reason": "not found"},
        ]
    }
    code, out = summarise(tmp_path, report)
    assert code == 2 and "1 of 2" in out and "pillow" in out


def test_a_known_vulnerability_fails_with_its_id_and_fix(tmp_path):
    vuln = {"id": "PYSEC-2099-1", "fix_versions": ["6.1.4"]}
    report = {"dependencies": [{"name": "django", "version": "6.1.3", "vulns": [vuln]}]}
    code, out = summarise(tmp_path, report, status=1)
    assert code == 1 and "PYSEC-2099-1" in out and "6.1.4" in out


def test_no_report_at_all_is_not_audited(tmp_path):
    code, out = summarise(tmp_path, None, stderr="ConnectionError: no route to host", status=1)
    assert code == 2 and "no route to host" in out


def test_all_audited_and_clean_passes(tmp_path):
    report = {"dependencies": [{"name": "django", "version": "6.1.3", "vulns": []}]}
    code, out = summarise(tmp_path, report)
    assert code == 0 and out.startswith("OK")
