"""The ward's pages for a certified child: the household's fee class, ending a certification.

Thin: parse with a form, call a service in ``tsuen.certification.lifecycle``, render. Who may
act is decided by the services (out of reach answers 404).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from tsuen.certification import lifecycle
from tsuen.certification.forms_lifecycle import EndForm, FeeClassForm


@login_required
def fee_class(request, child_id: int):
    form = FeeClassForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            lifecycle.set_fee_class(
                request.user,
                child_id,
                form.cleaned_data["fee_class"],
                form.cleaned_data["valid_from"],
                form.cleaned_data["valid_to"],
            )
        except lifecycle.LifecycleInvalid as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The fee class has been saved."))
            return redirect("certification:staff_fee_class", child_id)
    if form.is_bound and form.errors:
        status = 400
    page = lifecycle.fee_classes_for(request.user, child_id)
    return render(
        request,
        "certification/lifecycle/fee_class.html",
        {"page": page, "form": form},
        status=status,
    )


@login_required
def end(request, child_id: int):
    form = EndForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            lifecycle.end_certification(
                request.user,
                child_id,
                form.cleaned_data["reason"],
                form.cleaned_data["ended_on"],
            )
        except lifecycle.LifecycleInvalid as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The end of the certification has been saved."))
            return redirect("certification:staff_end", child_id)
    if form.is_bound and form.errors:
        status = 400
    certification = lifecycle.certification_for(request.user, child_id)
    return render(
        request,
        "certification/lifecycle/end.html",
        {"certification": certification, "child": certification.child, "form": form},
        status=status,
    )
