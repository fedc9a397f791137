"""The PDF copy of an application (申請書の控え), rendered by WeasyPrint.

Japanese text is set in IPAex Gothic (Debian ``fonts-ipaexfont``), named in the template's CSS
and embedded in the PDF; dates show the 和暦 beside the western year.
"""

from __future__ import annotations

from django.template.loader import render_to_string

from tsuen.core.pdf import render_pdf


def render_application(page) -> bytes:
    html = render_to_string("certification/application_pdf.html", {"page": page})
    return render_pdf(html)
