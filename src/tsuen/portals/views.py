"""The entry page of each portal. Views stay thin: parse, call a service, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render

from tsuen.accounts.models import Role
from tsuen.authz.policy import Action, allows_any
from tsuen.billing.models import Claim
from tsuen.families import services as families
from tsuen.families.models import Child, Household
from tsuen.portals import services as stats

PORTAL_OF_ROLE = {
    Role.GUARDIAN: "portals:guardian",
    Role.PROXY: "portals:guardian",
    Role.FACILITY_STAFF: "portals:facility",
    Role.FACILITY_MANAGER: "portals:facility",
    Role.MUNICIPAL_REVIEWER: "portals:municipality",
    Role.MUNICIPAL_PAYMENTS: "portals:municipality",
    Role.MUNICIPAL_ADMIN: "portals:municipality",
    Role.AUDITOR: "portals:municipality",
    Role.NATIONAL_OPERATOR: "portals:national",
}


def home(request):
    if request.user.is_authenticated:
        return redirect(PORTAL_OF_ROLE[request.user.role])
    return render(request, "portals/home.html")


def _only(request, *roles):
    if request.user.role not in roles:
        raise Http404


@login_required
def guardian_home(request):
    _only(request, Role.GUARDIAN, Role.PROXY)
    return render(request, "portals/guardian.html", {"home": stats.family_home(request.user)})


@login_required
def facility_home(request):
    _only(request, Role.FACILITY_STAFF, Role.FACILITY_MANAGER)
    return render(
        request,
        "portals/facility.html",
        {
            "facility": request.user.facility,
            "home": stats.facility_home(request.user),
            "children": families.children_for(request.user),
            "child_url": _child_page(request.user),
        },
    )


def _child_page(user) -> str:
    """Where a child's name leads: the care profile for those who may read care records, the
    ward's certificates-and-fee-class page for the payments officer, else nowhere."""
    if allows_any(user, Action.CHILD_CARE_VIEW, Child):
        return "families:child"
    if allows_any(user, Action.FEE_CLASS_DESK_VIEW, Household):
        return "certification:staff_fee_class"
    return ""


@login_required
def municipality_home(request):
    _only(request, *(r for r, p in PORTAL_OF_ROLE.items() if p == "portals:municipality"))
    context = {"figures": stats.municipality_figures(request.user)}
    if allows_any(request.user, Action.CLAIM_APPROVE, Claim):
        from tsuen.billing.services_review import claims_waiting

        context["claims_waiting"] = claims_waiting(request.user)
    # The auditor sees figures, never a person: the policy grants CHILD_LIST to case workers.
    if allows_any(request.user, Action.CHILD_LIST, Child):
        page = families.children_page(request.user, request.GET.get("page"))
        context |= {
            "children": page.object_list,
            "page_obj": page,
            "child_url": _child_page(request.user),
        }
    return render(request, "portals/municipality.html", context)


@login_required
def national_home(request):
    _only(request, Role.NATIONAL_OPERATOR)
    from tsuen.national.services import statistics

    return render(request, "portals/national.html", {"stats": statistics(request.user)})
