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
from tsuen.core.views import filtered_list
from tsuen.exports.views import deliver, post_only


def _parsed(request):
    """An export's (filters, form, None), or (None, form, the search page again with the form's
    errors: 400). An export reads its POST (the search's filters, sent again)."""
    form = AuditSearchForm(request.POST or None)
    if not form.is_bound:
        return service.Filters(), form, None
    if form.is_valid():
        return service.Filters(**form.cleaned_data), form, None
    return None, form, render(request, "audit/search.html", {"form": form}, status=400)


def _export_fields(form) -> list[tuple[str, str]]:
    """The search's filters, for the export form to send again (non-empty ones only)."""
    if not form.is_bound or not form.is_valid():
        return []
    return [(name, form.data[name]) for name in form.fields if form.data.get(name)]


@login_required
def log(request):
    form = AuditSearchForm(request.GET or None)
    # The log's first look (no search, no page) verifies the chain; searches and page turns
    # do not re-read the whole chain.
    return filtered_list(
        request,
        form,
        filters=service.Filters,
        find=lambda filters: service.search(
            request.user, filters, request.GET.get("page", 1), verify=not request.GET
        ),
        guard=lambda: service.guard(request.user),  # out of reach stays 404, not 400
        template="audit/search.html",
        result="result",
        context={"export_fields": _export_fields(form)},
    )


@login_required
def export(request):
    """The search as a CSV, as a protected export (POST, fresh re-authentication, AES-256
    ZIP)."""
    if request.method != "POST":
        return post_only(request)
    service.guard(request.user, export=True)  # 404 for anyone else
    filters, form, refused = _parsed(request)
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
