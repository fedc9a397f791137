"""The ward's review desk: the queue, one application and its decisions, the notice PDF
(a protected export).

Thin: parse with a form, call a service, render. Who may act is decided by the services.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tsuen.certification import services
from tsuen.certification.forms_staff import CorrectionForm, QueueFilterForm, RejectForm
from tsuen.certification.models import ApplicationStatus
from tsuen.core import confirm
from tsuen.core.views import filtered_list, handle_post
from tsuen.exports.views import deliver


@login_required
def queue(request):
    return filtered_list(
        request,
        QueueFilterForm(request.GET or None),
        filters=services.QueueFilters,
        find=lambda filters: services.review_queue(
            request.user, filters, request.GET.get("page", 1)
        ),
        guard=lambda: services.may_review(request.user),
        template="certification/staff/queue.html",
    )


def _application_page(
    request, application_id, *, correction=None, rejection=None, numbers=None, status=200
):
    review = services.review_page(request.user, application_id)
    return render(
        request,
        "certification/staff/application.html",
        {
            "review": review,
            "page": review.page,
            "correction": correction or CorrectionForm(),
            "rejection": rejection or RejectForm(),
            "numbers": numbers or {},
        },
        status=status,
    )


@login_required
def application(request, application_id: int):
    return _application_page(request, application_id)


def _refused(request, exc) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _decide_with_text(request, application_id, form_class, field, decide, done, page_key):
    """A decision that carries a text for the family (correction request, rejection): the
    shared form handling, else the page again with the reason (400)."""
    form = form_class(request.POST)
    return handle_post(
        request,
        form,
        lambda data: decide(request.user, application_id, data[field]),
        done=done,
        then=("certification:staff_application", application_id),
        refused=services.ApplicationInvalid,
        error_field=field,
    ) or _application_page(request, application_id, status=400, **{page_key: form})


@login_required
@require_POST
def request_correction(request, application_id: int):
    return _decide_with_text(
        request, application_id, CorrectionForm, "message", services.request_correction,
        _("The application was sent back to the family."), "correction",
    )  # fmt: skip


def _confirm_page(request, effects, *, reason="", numbers=None, errors=(), status=200):
    # The confirmation posts back the reason (rejection) and the numbers given ("number-<id>").
    hidden = {"reason": reason} if effects.decision == "reject" else {}
    hidden.update({f"number-{child_id}": n for child_id, n in (numbers or {}).items()})
    context = {"effects": effects, "reason": reason, "hidden": hidden, "errors": errors}
    return render(request, "certification/staff/decision_confirm.html", context, status=status)


@login_required
@require_POST
def reject(request, application_id: int):
    """Two steps: the reason posted without a ``confirm`` token answers the confirmation
    page (which children, the reason the family reads); with the token the application is
    rejected."""
    form = RejectForm(request.POST)
    token = request.POST.get(confirm.FIELD)
    if form.is_valid() and (form.cleaned_data["reason"] or "").strip() and not token:
        effects = services.decision_effects(request.user, application_id, "reject")
        if effects.application.status in services.REJECTABLE:
            return _confirm_page(request, effects, reason=form.cleaned_data["reason"])
    return _decide_with_text(
        request, application_id, RejectForm, "reason",
        lambda user, pk, reason: services.reject(user, pk, reason, confirm_token=token),
        _("The application was rejected. The family is told why."), "rejection",
    )  # fmt: skip


@login_required
@require_POST
def certify(request, application_id: int):
    """Two steps: without a ``confirm`` token the post answers the confirmation page (each
    child and its validity); with the token every child is certified."""
    # Optional numbers the ward already gave a child ("number-<child id>"; empty: automatic).
    numbers = {
        int(key.removeprefix("number-")): value
        for key, value in request.POST.items()
        if key.startswith("number-") and key.removeprefix("number-").isdigit()
    }
    token = request.POST.get(confirm.FIELD)
    if not token:
        effects = services.decision_effects(request.user, application_id, "certify")
        if effects.application.status == ApplicationStatus.SUBMITTED:
            return _confirm_page(request, effects, numbers=numbers)
        # Not certifiable: the service says why.
    try:
        certifications = services.certify(
            request.user, application_id, numbers, confirm_token=token
        )
    except services.ApplicationInvalid as exc:
        _refused(request, exc)
        return _application_page(request, application_id, numbers=numbers, status=400)
    except ValidationError as exc:  # the effects changed since they were shown
        effects = services.decision_effects(request.user, application_id, "certify")
        return _confirm_page(request, effects, numbers=numbers, errors=exc.messages, status=400)
    messages.success(
        request,
        _("Certified: %(numbers)s.") % {"numbers": ", ".join(c.number for c in certifications)},
    )
    return redirect("certification:staff_application", application_id)


@login_required
def notice(request, certification_id: int):
    """The certification notice for the ward's staff, as a protected export (POST, fresh
    re-authentication, AES-256 ZIP)."""
    if request.method == "POST":
        certification = services.notice_for_export(request.user, certification_id)  # 404
        back = (
            reverse("certification:staff_application", args=[certification.application_id])
            if certification.application_id
            else reverse("certification:staff_queue")
        )
    else:
        back = ""
    return deliver(
        request,
        lambda request_id: services.certification_notice_export(
            request.user, certification_id, request_id=request_id
        ),
        back=back,
    )


@login_required
def rejection_notice(request, application_id: int):
    """The notice of rejection for the ward's staff, as a protected export."""
    if request.method == "POST":
        services.rejection_for_export(request.user, application_id)  # 404
        back = reverse("certification:staff_application", args=[application_id])
    else:
        back = ""
    return deliver(
        request,
        lambda request_id: services.rejection_notice_export(
            request.user, application_id, request_id=request_id
        ),
        back=back,
    )
