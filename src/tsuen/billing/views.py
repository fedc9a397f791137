"""Claims and statements. Thin: parse with a form, call a service, render."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tsuen.billing import services
from tsuen.billing.forms import MonthForm
from tsuen.billing.models import ClaimImmutable
from tsuen.core import clock, confirm
from tsuen.core.pdf import pdf_response
from tsuen.exports.views import deliver


def _month_form(data=None) -> MonthForm:
    """The month to claim, last month by default (a month is claimed once it has ended)."""
    last_month = clock.today().replace(day=1) - dt.timedelta(days=1)
    return MonthForm(data, initial={"year": last_month.year, "month": last_month.month})


def _claims_page(request, form, status=200):
    return render(
        request,
        "billing/claims.html",
        {"claims": services.claims_page(request.user), "form": form},
        status=status,
    )


@login_required
def claims(request):
    return _claims_page(request, _month_form())


@login_required
@require_POST
def generate(request):
    form = _month_form(request.POST)
    services.claims_page(request.user)  # 404 for anyone who may not see claims
    if form.is_valid():
        try:
            made = services.generate_claims(
                request.user, form.cleaned_data["year"], form.cleaned_data["month"]
            )
        except (services.ClaimRefused, ClaimImmutable) as error:
            form.add_error(None, error)
        else:
            if made:
                messages.success(request, _("The month's claims have been generated."))
            else:
                messages.info(request, _("No visits to claim in that month."))
            return redirect("billing:claims")
    return _claims_page(request, form, status=400)


@login_required
def claim(request, claim_id: int):
    page = services.claim_page(request.user, claim_id)
    return render(request, "billing/claim.html", {"page": page})


def _act(request, claim_id: int, action, done: str):
    try:
        result = action(request.user, claim_id)
    except (services.ClaimRefused, ClaimImmutable) as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("billing:claim", claim_id)
    messages.success(request, done)
    return redirect("billing:claim", result.pk)


@login_required
@require_POST
def submit(request, claim_id: int):
    """Two steps: without a ``confirm`` token the post answers the confirmation page (the
    visits, children and yen sent); with it the claim is submitted (refused, with the page
    again, if the claim changed in between)."""
    token = request.POST.get(confirm.FIELD)
    if token:
        try:
            services.submit_claim(request.user, claim_id, confirm_token=token)
        except ValidationError as error:
            if getattr(error, "code", None) != "changed":
                for message in error.messages:
                    messages.error(request, message)
                return redirect("billing:claim", claim_id)
            errors = error.messages
        else:
            messages.success(request, _("The claim has been submitted."))
            return redirect("billing:claim", claim_id)
    else:
        errors = []
    try:
        effects = services.submit_effects(request.user, claim_id)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("billing:claim", claim_id)
    if not effects.claim.is_draft:
        messages.error(request, _("This claim is already submitted."))
        return redirect("billing:claim", claim_id)
    return render(
        request,
        "billing/submit_confirm.html",
        {"effects": effects, "errors": errors},
        status=400 if errors else 200,
    )


@login_required
@require_POST
def correct(request, claim_id: int):
    return _act(
        request,
        claim_id,
        services.correct_claim,
        _("A correction has been drafted from the current records. Check it and submit it."),
    )


@login_required
def claim_csv(request, claim_id: int):
    return _claim_export(request, claim_id, services.claim_csv)


@login_required
def claim_pdf(request, claim_id: int):
    return _claim_export(request, claim_id, services.claim_pdf)


def _claim_export(request, claim_id: int, export):
    """A claim file as a protected export (POST, fresh re-authentication, AES-256 ZIP)."""
    if request.method == "POST":
        services.claim_for_export(request.user, claim_id)  # 404 before anything else
    return deliver(
        request,
        lambda request_id: export(request.user, claim_id, request_id=request_id),
        back=reverse("billing:claim", args=[claim_id]),
    )


@login_required
def statement(request, year: int, month: int):
    try:
        page = services.statement(request.user, year, month)
    except services.ClaimRefused as error:
        context = {"page": None, "error": " ".join(error.messages)}
        return render(request, "billing/statement.html", context, status=400)
    return render(request, "billing/statement.html", {"page": page})


@login_required
def statement_pdf(request, year: int, month: int):
    try:
        name, data = services.statement_pdf(request.user, year, month)
    except services.ClaimRefused as error:
        context = {"page": None, "error": " ".join(error.messages)}
        return render(request, "billing/statement.html", context, status=400)
    return pdf_response(name, data, inline=True)
