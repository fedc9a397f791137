"""The national operator's screens. Thin: parse with a form, call a service, render; who may
act is decided by the services (404 for everyone but the national operator)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.translation import gettext as _

from tsuen.core.views import handle_post, status_of
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


@login_required
def municipality_new(request):
    services.may_manage_municipalities(request.user)
    form = MunicipalityForm(request.POST or None)
    done = handle_post(
        request,
        form,
        lambda data: services.create_municipality(request.user, data),
        done=lambda saved: (
            _("%(name)s was registered with the national default policy for this fiscal year.")
            % {"name": saved}
        ),
        then="national:municipalities",
        error_field="code",
    )
    return done or render(
        request,
        "national/municipality_form.html",
        {"form": form, "municipality": None},
        status=status_of(form),
    )


@login_required
def municipality_edit(request, municipality_id: int):
    row = services.municipality(request.user, municipality_id)
    form = MunicipalityForm(request.POST or None, instance=row)
    done = handle_post(
        request,
        form,
        lambda data: services.update_municipality(request.user, municipality_id, data),
        done=lambda saved: _("%(name)s was saved.") % {"name": saved},
        then="national:municipalities",
        error_field="code",
    )
    return done or render(
        request,
        "national/municipality_form.html",
        {"form": form, "municipality": row},
        status=status_of(form),
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
    done = handle_post(
        request,
        form,
        lambda data: services.save_rate_table(request.user, fiscal_year, data),
        done=_("The FY%(year)s rates were saved.") % {"year": fiscal_year},
        then="national:rate_tables",
    )
    return done or render(
        request,
        "national/rate_table.html",
        {"year": year, "form": form},
        status=status_of(form),
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
