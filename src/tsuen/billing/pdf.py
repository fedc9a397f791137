"""PDFs of a claim and of a family's statement, rendered by WeasyPrint.

Japanese text is set in IPAex Gothic (embedded in the PDF); dates show the 和暦.
"""

from __future__ import annotations

from django.template.loader import render_to_string


def _pdf(template: str, context: dict) -> bytes:
    from weasyprint import HTML

    return HTML(string=render_to_string(template, context)).write_pdf()


def render_claim(page) -> bytes:
    return _pdf("billing/claim_pdf.html", {"page": page})


def render_statement(page) -> bytes:
    return _pdf("billing/statement_pdf.html", {"page": page})
