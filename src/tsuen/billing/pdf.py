"""PDFs of a claim and of a family's statement, rendered by WeasyPrint.

Japanese text is set in IPAex Gothic (embedded in the PDF); dates show the 和暦.
"""

from __future__ import annotations

from django.template.loader import render_to_string

from tsuen.core.pdf import render_pdf


def _pdf(template: str, context: dict) -> bytes:
    return render_pdf(render_to_string(template, context))


def render_claim(page) -> bytes:
    return _pdf("billing/claim_pdf.html", {"page": page})


def render_statement(page) -> bytes:
    return _pdf("billing/statement_pdf.html", {"page": page})
