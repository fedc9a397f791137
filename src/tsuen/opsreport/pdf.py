"""The monthly operations report (月次運用報告) as a PDF.

Always in Japanese, each date in 和暦 with the western date beside it (a document the ward files
and its auditor reads), set in IPAex Gothic by WeasyPrint like the ward's other documents
(``tsuen.core.pdf``). The same figures as the screen; the names of staff without a second factor
only in the ward's own copy (not in the national operator's).
"""

from __future__ import annotations

import datetime as dt

from django.template.loader import render_to_string
from django.utils import timezone, translation

from tsuen.core.pdf import render_pdf
from tsuen.core.wareki import japanese_date, japanese_month, wareki


def day_text(day: dt.date) -> str:
    """令和8年11月1日（2026年11月1日）: as the ward's other documents write it, no ISO dates."""
    return f"{wareki(day)}（{japanese_date(day, era=False)}）"


def moment_text(value: dt.datetime | None) -> str:
    """令和8年12月1日 09:30（2026年12月1日）."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    return f"{wareki(local.date())} {local:%H:%M}（{japanese_date(local.date(), era=False)}）"


def month_label(month: dt.date) -> str:
    """令和8年11月（2026年11月）."""
    return f"{japanese_month(month)}（{month.year}年{month.month}月）"


def render_report(report) -> bytes:
    until = moment_text(report.end) if report.in_progress else day_text(report.last_day)
    with translation.override("ja"):
        html = render_to_string(
            "opsreport/report_pdf.html",
            {
                "r": report,
                "m": report.ward,
                "month": month_label(report.month),
                "start": day_text(timezone.localdate(report.start)),
                "until": until,
                "made": moment_text(report.made_at),
                "runs": [
                    (p, moment_text(p.requested_at), moment_text(p.finished_at))
                    for p in report.purge_runs
                ],
                "backups": {
                    name: moment_text(run.finished_at) if run else ""
                    for name, run in report.backups.items()
                },
                "head_at": moment_text(report.head.at) if report.head else "",
            },
        )
    return render_pdf(html)
