"""The certification notice (乳児等支援給付認定通知書) as a PDF, rendered by WeasyPrint.

Set in IPAex Gothic (embedded); dates in 和暦 with the western date beside them.
"""

from __future__ import annotations

import datetime as dt

from django.template.loader import render_to_string

from tsuen.core.pdf import render_pdf


def render_notice(certification, issued_on: dt.date) -> bytes:
    html = render_to_string(
        "certification/notice_pdf.html",
        {"certification": certification, "issued_on": issued_on},
    )
    return render_pdf(html)
