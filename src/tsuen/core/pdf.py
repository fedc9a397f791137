"""HTML to PDF with WeasyPrint, offline: a document never fetches a URL.

Every PDF tsuen makes (the application copy, the certification notice, claims and statements)
is rendered from our own templates with fonts from the system (fontconfig finds IPAex Gothic,
named in the CSS). WeasyPrint's default URL fetcher would follow ``file://`` URLs (reading the
server's files into a document) and ``http(s)://`` URLs (calling out of the network) if one
ever reached a template, e.g. through text a person typed. The fetcher used here refuses every
URL except inline ``data:`` URLs; WeasyPrint then leaves the resource out of the document.

WeasyPrint is imported on first use: it is slow to import and most requests make no PDF.
"""

from __future__ import annotations

from functools import cache

ALLOWED_SCHEMES = frozenset({"data"})


class URLRefused(ValueError):
    """A document asked for a URL that tsuen's PDFs may not fetch."""


def refuse_unless_allowed(url: str) -> None:
    scheme = url.split(":", 1)[0].strip().lower() if ":" in url else ""
    if scheme not in ALLOWED_SCHEMES:
        raise URLRefused(f"PDF documents fetch no URLs ({scheme or 'relative'} refused)")


@cache
def offline_fetcher_class():
    from weasyprint.urls import URLFetcher

    class OfflineURLFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            refuse_unless_allowed(url)
            return super().fetch(url, headers)

    return OfflineURLFetcher


def render_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=offline_fetcher_class()()).write_pdf()


def pdf_response(name: str, data: bytes, *, inline: bool = False):
    """A PDF for the browser: shown (``inline``) or downloaded as ``name``, never cached."""
    from django.http import HttpResponse

    response = HttpResponse(data, content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response
