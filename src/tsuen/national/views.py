"""The national operator's screens. Thin: parse with a form, call a service, render; who may
act is decided by the services (404 for everyone but the national operator)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tsuen.core.views import filtered_list, handle_post, status_of
from tsuen.municipalities import services_networks as networks
from tsuen.municipalities import services_staff as ward_staff
from tsuen.municipalities.forms_staff import FirstAdministratorForm, NetworkForm
from tsuen.national import services
from tsuen.national.forms import MunicipalityFilterForm, MunicipalityForm, RateTableForm
from tsuen.national.prefectures import PREFECTURES


@login_required
def municipalities(request):
    return filtered_list(
        request,
        MunicipalityFilterForm(request.GET or None),
        filters=services.MunicipalityFilters,
        find=lambda filters: services.municipalities(request.user, filters),
        per_page=50,
        guard=lambda: services.may_manage_municipalities(request.user),
        template="national/municipalities.html",
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


# --- a ward's access: its first network ranges and administrator (issue 9 item 8) -----------


def _access_page(request, municipality_id: int, *, network_form=None, admin_form=None):
    bound = network_form is not None or admin_form is not None
    return render(
        request,
        "national/municipality_access.html",
        {
            "access": ward_staff.ward_access(request.user, municipality_id),
            "network_form": network_form or NetworkForm(),
            "admin_form": admin_form or FirstAdministratorForm(),
        },
        status=400 if bound else 200,
    )


@login_required
def municipality_access(request, municipality_id: int):
    return _access_page(request, municipality_id)


@login_required
@require_POST
def municipality_network(request, municipality_id: int):
    ward_staff.ward_access(request.user, municipality_id)  # 404 before reading the form
    form = NetworkForm(request.POST)
    done = handle_post(
        request,
        form,
        lambda data: networks.add_for_ward(
            request.user, municipality_id, data["cidr"], data["note"]
        ),
        done=_("The range has been added."),
        then=("national:municipality_access", municipality_id),
        refused=networks.NetworkRefused,
        error_field="cidr",
    )
    return done or _access_page(request, municipality_id, network_form=form)


@login_required
@require_POST
def municipality_administrator(request, municipality_id: int):
    ward_staff.ward_access(request.user, municipality_id)
    form = FirstAdministratorForm(request.POST)
    done = handle_post(
        request,
        form,
        lambda data: ward_staff.invite_first_administrator(
            request.user, municipality_id, data["email"]
        ),
        done=_("The invitation has been sent to the ward's administrator."),
        then=("national:municipality_access", municipality_id),
        refused=ward_staff.WardStaffRefused,
        error_field="email",
    )
    return done or _access_page(request, municipality_id, admin_form=form)


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
