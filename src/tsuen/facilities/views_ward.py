"""The ward's facility register. Thin views: parse with a form, call services_ward, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from tsuen.core.views import filtered_list, handle_post, status_of
from tsuen.facilities import services_ward as ward
from tsuen.facilities.forms_ward import (
    FacilityForm,
    ManagerInviteForm,
    RegisterFilterForm,
    SuspensionForm,
)
from tsuen.facilities.services_staff import StaffRefused


@login_required
def register(request):
    return filtered_list(
        request,
        RegisterFilterForm(request.GET or None),
        filters=ward.RegisterFilters,
        find=lambda filters: ward.register(request.user, filters),
        per_page=50,
        guard=lambda: ward.may_view_register(request.user),
        template="facilities/ward/register.html",
        context={"may_register": ward.may_register(request.user)},
    )


def _values(form) -> dict:
    return {name: form.cleaned_data[name] for name in ward.REGISTER_FIELDS}


def _facility_form(request, facility, save):
    """The register/edit form: the service saves it or the page comes back with why (400)."""
    form = FacilityForm(request.POST or None, instance=facility)
    done = handle_post(
        request,
        form,
        lambda data: save(_values(form)),
        done=_("The facility has been saved."),
        then=lambda saved: ("facilities:ward_facility", saved.pk),
        refused=StaffRefused,
    )
    return done or render(
        request,
        "facilities/ward/form.html",
        {"form": form, "facility": facility},
        status=status_of(form),
    )


@login_required
def new(request):
    if not ward.may_register(request.user):
        raise Http404
    return _facility_form(
        request, None, lambda values: ward.register_facility(request.user, values)
    )


@login_required
def edit(request, facility_id: int):
    facility = ward.facility_to_supervise(request.user, facility_id)
    return _facility_form(
        request,
        facility,
        lambda values: ward.update_facility(request.user, facility_id, values),
    )


@login_required
def facility(request, facility_id: int):
    return render(
        request,
        "facilities/ward/facility.html",
        {"page": ward.ward_facility(request.user, facility_id)},
    )


@login_required
def invite(request, facility_id: int):
    facility = ward.facility_to_supervise(request.user, facility_id)
    form = ManagerInviteForm(request.POST or None)
    done = handle_post(
        request,
        form,
        lambda data: ward.invite_manager(request.user, facility_id, data["email"]),
        done=_("The invitation has been sent to the manager."),
        then=("facilities:ward_facility", facility_id),
        refused=StaffRefused,
        error_field="email",
    )
    return done or render(
        request,
        "facilities/ward/invite.html",
        {"form": form, "facility": facility},
        status=status_of(form),
    )


@login_required
def suspension(request, facility_id: int):
    """Suspend the facility, or reinstate it if it is suspended (a confirm page first)."""
    facility = ward.facility_to_supervise(request.user, facility_id)
    form = SuspensionForm(request.POST or None)
    done = handle_post(
        request,
        form,
        lambda data: ward.set_suspended(
            request.user, facility_id, not facility.suspended, data["reason"]
        ),
        done=_("The facility has been reinstated.")
        if facility.suspended
        else _("The facility has been suspended."),
        then=("facilities:ward_facility", facility_id),
        refused=StaffRefused,
        error_field="reason",
    )
    return done or render(
        request,
        "facilities/ward/suspension.html",
        {
            "form": form,
            "facility": facility,
            "future_bookings": ward.future_bookings(facility),
        },
        status=status_of(form),
    )
