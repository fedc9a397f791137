"""Reads pip-audit's JSON report and says plainly what was and was not audited (bin/audit).

usage: audit_summary.py REPORT.json STDERR.txt PIP_AUDIT_EXIT_STATUS SERVICE
exit:  0 all audited, none vulnerable; 1 a known vulnerability; 2 not (wholly) audited.

pip-audit prints "No known vulnerabilities found" even when it skipped every package because
the vulnerability service did not know the pinned versions or could not be reached; this
summary never turns a skipped package into a clean one.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def summarise(report: dict | None, stderr: str, status: int, service: str) -> tuple[int, str]:
    if report is None:
        reason = stderr.strip().splitlines()[-1] if stderr.strip() else f"exit status {status}"
        return 2, (
            f"NOT AUDITED: pip-audit could not query the {service} vulnerability service "
            f"from this machine ({reason}). Nothing is known about vulnerabilities."
        )
    dependencies = report.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    audited = len(dependencies) - len(skipped)
    lines = []
    for dep in vulnerable:
        ids = ", ".join(v.get("id", "?") for v in dep["vulns"])
        fixes = sorted({f for v in dep["vulns"] for f in v.get("fix_versions", [])})
        lines.append(
            f"VULNERABLE: {dep['name']} {dep.get('version', '')}: {ids}"
            + (f" (fixed in {', '.join(fixes)})" if fixes else "")
        )
    if vulnerable:
        return 1, "\n".join(lines)
    if not dependencies:
        return 2, f"NOT AUDITED: the {service} report lists no packages."
    if skipped and not audited:
        return 2, (
            f"NOT AUDITED: the {service} vulnerability service could not be queried for any of "
            f"the {len(dependencies)} pinned packages (unreachable from this machine, or it "
            f"does not know these versions; first reason: {skipped[0]['skip_reason']}). "
            "Nothing is known about their vulnerabilities."
        )
    if skipped:
        names = ", ".join(sorted(d["name"] for d in skipped))
        return 2, (
            f"NOT AUDITED: the {service} vulnerability service could not tell about "
            f"{len(skipped)} of {len(dependencies)} pinned packages (unreachable, or it does "
            f"not know these versions), so no claim is made about them: {names}. "
            f"{audited} packages were audited with no known vulnerability."
        )
    return 0, f"OK: all {audited} pinned packages audited against {service}; none known vulnerable."


def main(argv: list[str]) -> int:
    report_path, stderr_path, status, service = argv[1], argv[2], int(argv[3]), argv[4]
    try:
        report = json.loads(Path(report_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        report = None
    try:
        stderr = Path(stderr_path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        stderr = ""
    code, message = summarise(report, stderr, status, service)
    print(message)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv))
