"""The national operator's screens. Thin: parse with a form, call a service, render; who may
act is decided by the services (404 for everyone but the national operator)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from tsuen.national import services
from tsuen.national.forms import MunicipalityFilterForm, MunicipalityForm, RateTableForm
from tsuen.national.prefectures import PREFECTURES


@login_required
def municipalities(request):
    form = MunicipalityFilterForm(request.GET or None)
    filters = services.MunicipalityFilters()
    if form.is_bound and form.is_valid():
        filters = services.MunicipalityFilters(**form.cleaned_data)
    rows = services.municipalities(request.user, filters)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "national/municipalities.html",
        {"form": form, "page_obj": page, "query": query.urlencode()},
    )


def _save_municipality(request, form, save, done):
    if form.is_valid():
        try:
            saved = save(form.cleaned_data)
        except ValidationError as exc:
            form.add_error("code", exc)
        else:
            messages.success(request, done % {"name": saved})
            return redirect("national:municipalities")
    return None


@login_required
def municipality_new(request):
    services.may_manage_municipalities(request.user)
    form = MunicipalityForm(request.POST or None)
    if request.method == "POST":
        done = _save_municipality(
            request, form, lambda data: services.create_municipality(request.user, data),
            _("%(name)s was registered with the national default policy for this fiscal year."),
        )  # fmt: skip
        if done:
            return done
    return render(
        request,
        "national/municipality_form.html",
        {"form": form, "municipality": None},
        status=400 if form.is_bound else 200,
    )


@login_required
def municipality_edit(request, municipality_id: int):
    row = services.municipality(request.user, municipality_id)
    form = MunicipalityForm(request.POST or None, instance=row)
    if request.method == "POST":
        done = _save_municipality(
            request, form,
            lambda data: services.update_municipality(request.user, municipality_id, data),
            _("%(name)s was saved."),
        )  # fmt: skip
        if done:
            return done
    return render(
        request,
        "national/municipality_form.html",
        {"form": form, "municipality": row},
        status=400 if form.is_bound else 200,
    )


@login_required
def rate_tables(request):
    return render(
        request, "national/rate_tables.html", {"years": services.rate_years(request.user)}
    )


@login_required
def rate_table(request, fiscal_year: int):
    year = services.rate_year(request.user, fiscal_year)
    form = RateTableForm(request.POST or None, instance=year.table)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_rate_table(request.user, fiscal_year, form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The FY%(year)s rates were saved.") % {"year": fiscal_year})
            return redirect("national:rate_tables")
    return render(
        request,
        "national/rate_table.html",
        {"year": year, "form": form},
        status=400 if form.is_bound else 200,
    )


@login_required
def statistics(request):
    prefecture = request.GET.get("prefecture", "")
    if prefecture not in {name for _, name in PREFECTURES}:
        prefecture = ""
    return render(
        request,
        "national/statistics.html",
        {
            "stats": services.statistics(request.user, prefecture),
            "prefectures": PREFECTURES,
            "prefecture": prefecture,
        },
    )
