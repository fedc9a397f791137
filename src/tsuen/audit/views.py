"""The audit log screens: search (with the chain's verification) and the CSV export.

Thin: parse with a form, call the service, render. Who may search is decided by the service.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import render

from tsuen.audit import search as service
from tsuen.audit.forms import AuditSearchForm


def _parsed(request, *, export: bool):
    """(filters, None) or (None, the search page again with the form's errors: 400)."""
    form = AuditSearchForm(request.GET or None)
    if not form.is_bound:
        return service.Filters(), form, None
    if form.is_valid():
        return service.Filters(**form.cleaned_data), form, None
    service.guard(request.user, export=export)  # out of reach stays 404, not 400
    return None, form, render(request, "audit/search.html", {"form": form}, status=400)


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
    return render(
        request,
        "audit/search.html",
        {"form": form, "result": result, "query": query.urlencode()},
    )


@login_required
def export(request):
    filters, _form, refused = _parsed(request, export=True)
    if refused:
        return refused
    name, file = service.export(request.user, filters)
    response = FileResponse(
        file, as_attachment=True, filename=name, content_type="text/csv; charset=utf-8"
    )
    response["Cache-Control"] = "no-store"
    return response
