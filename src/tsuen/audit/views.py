"""The audit log screens: search (with the chain's verification) and the CSV export.

Thin: parse with a form, call the service, render. Who may search is decided by the service.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse

from tsuen.audit import search as service
from tsuen.audit.forms import AuditSearchForm
from tsuen.exports.views import deliver, post_only


def _parsed(request, *, export: bool):
    """(filters, None) or (None, the search page again with the form's errors: 400). A search
    reads the query string; an export reads its POST (the search's filters, sent again)."""
    data = request.POST if export else request.GET
    form = AuditSearchForm(data or None)
    if not form.is_bound:
        return service.Filters(), form, None
    if form.is_valid():
        return service.Filters(**form.cleaned_data), form, None
    service.guard(request.user, export=export)  # out of reach stays 404, not 400
    return None, form, render(request, "audit/search.html", {"form": form}, status=400)


def _export_fields(form) -> list[tuple[str, str]]:
    """The search's filters, for the export form to send again (non-empty ones only)."""
    if not form.is_bound or not form.is_valid():
        return []
    return [(name, form.data[name]) for name in form.fields if form.data.get(name)]


@login_required
def log(request):
    filters, form, refused = _parsed(request, export=False)
    if refused:
        return refused
    # The log's first look (no search, no page) verifies the chain; searches and page turns
    # do not re-read the whole chain.
    result = service.search(
        request.user, filters, request.GET.get("page", 1), verify=not request.GET
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "result": result,
        "query": query.urlencode(),
        "export_fields": _export_fields(form),
    }
    return render(request, "audit/search.html", context)


@login_required
def export(request):
    """The search as a CSV, as a protected export (POST, fresh re-authentication, AES-256
    ZIP)."""
    if request.method != "POST":
        return post_only(request)
    service.guard(request.user, export=True)  # 404 for anyone else
    filters, form, refused = _parsed(request, export=True)
    if refused:
        return refused
    back = reverse("audit:log")
    if fields := _export_fields(form):
        back += "?" + urlencode(fields)
    return deliver(
        request,
        lambda request_id: service.export(request.user, filters, request_id=request_id),
        back=back,
    )
