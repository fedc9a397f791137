"""The ward's anomaly desk. Thin: parse with a form, call the service, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext as _

from tsuen.core.views import handle_post, status_of
from tsuen.monitoring import services
from tsuen.monitoring.forms import DispositionForm, ShowForm

PER_PAGE = 30


@login_required
def anomalies(request):
    """The ward's anomalies: open ones (the default) or all, a page at a time."""
    services.guard(request.user)
    form = ShowForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        context = {"form": form, "page": None, "rows": [], "show_all": False}
        return render(request, "monitoring/anomalies.html", context, status=400)
    show_all = form.is_bound and form.cleaned_data["show"] == "all"
    found = services.listing(request.user, show_all=show_all)
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "rows": services.shown(page), "show_all": show_all}
    return render(request, "monitoring/anomalies.html", context)


@login_required
def anomaly(request, anomaly_id: int):
    row = services.anomaly(request.user, anomaly_id)
    form = DispositionForm(request.POST or None)
    done = handle_post(
        request,
        form,
        lambda data: services.dispose(request.user, anomaly_id, data["disposition"], data["note"]),
        done=_("The disposition has been recorded."),
        then=("monitoring:anomaly", anomaly_id),
        refused=services.DispositionRefused,
    )
    return done or render(
        request,
        "monitoring/anomaly.html",
        {"row": row, "form": form, "may_dispose": services.may_dispose(request.user, row)},
        status=status_of(form),
    )
