"""The ward's pages for a certified child: the household's fee class, ending a certification.

Thin: parse with a form, call a service in ``tsuen.certification.lifecycle``, render. Who may
act is decided by the services (out of reach answers 404).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _

from tsuen.certification import lifecycle
from tsuen.certification.forms_lifecycle import ChildrenFilterForm, EndForm, FeeClassForm
from tsuen.core.views import filtered_list, handle_post, status_of


@login_required
def fee_class(request, child_id: int):
    form = FeeClassForm(request.POST if request.method == "POST" else None)
    done = handle_post(
        request,
        form,
        lambda data: lifecycle.set_fee_class(
            request.user, child_id, data["fee_class"], data["valid_from"], data["valid_to"]
        ),
        done=_("The fee class has been saved."),
        then=("certification:staff_fee_class", child_id),
        refused=lifecycle.LifecycleInvalid,
    )
    if done:
        return done
    page = lifecycle.fee_classes_for(request.user, child_id)
    return render(
        request,
        "certification/lifecycle/fee_class.html",
        {"page": page, "form": form},
        status=status_of(form),
    )


@login_required
def end(request, child_id: int):
    form = EndForm(request.POST if request.method == "POST" else None)
    done = handle_post(
        request,
        form,
        lambda data: lifecycle.end_certification(
            request.user,
            child_id,
            data["reason"],
            data["ended_on"],
            confirmed=bool(data.get("confirm_claims")),
        ),
        done=_("The end of the certification has been saved."),
        then=("certification:staff_end", child_id),
        refused=lifecycle.LifecycleInvalid,
    )
    if done:
        return done
    if any(e.code == "claims_submitted" for e in form.non_field_errors().as_data()):
        form.ask_confirmation()
    certification = lifecycle.certification_for(request.user, child_id)
    return render(
        request,
        "certification/lifecycle/end.html",
        {"certification": certification, "child": certification.child, "form": form},
        status=status_of(form),
    )


@login_required
def children(request):
    """The ward's certified children, searchable, each leading to its certification page."""
    facilities = lifecycle.ward_facilities(request.user) if request.user.is_municipal else []
    return filtered_list(
        request,
        ChildrenFilterForm(request.GET or None, facilities=facilities),
        filters=lifecycle.ChildrenFilters,
        find=lambda filters: lifecycle.certified_children(
            request.user, filters, request.GET.get("page", 1)
        ),
        guard=lambda: lifecycle.may_list_children(request.user),
        template="certification/lifecycle/children.html",
    )
