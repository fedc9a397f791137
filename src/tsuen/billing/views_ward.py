"""The ward's claim review: claims received, one claim with its flags, query / approve / pay,
and the month's export for the finance system. Thin: parse with a form, call a service,
render. Who may act is decided by the services (404 for anyone else)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tsuen.billing import services_review as review
from tsuen.billing.forms_ward import ClaimFilterForm, ExportForm, PaidForm, QueryForm
from tsuen.billing.services import ClaimRefused
from tsuen.core import clock, confirm
from tsuen.core.views import filtered_list
from tsuen.exports.views import deliver, post_only


def _list_page(request, export: ExportForm | None = None, status: int = 200):
    facilities = review.facilities_claiming(request.user)  # 404 for anyone else

    def export_form(filters):
        # Claims arrive after their month: the export offers last month unless a month is chosen.
        if export:
            return {"export": export}
        last_month = clock.today().replace(day=1) - dt.timedelta(days=1)
        filters = filters or review.ClaimFilters()
        initial = {
            "year": filters.year or last_month.year,
            "month": filters.month or last_month.month,
            "encoding": "utf-8",
        }
        return {"export": ExportForm(initial=initial)}

    return filtered_list(
        request,
        ClaimFilterForm(request.GET or None, facilities=facilities),
        filters=review.ClaimFilters,
        find=lambda filters: review.received_claims(request.user, filters, request.GET.get("page")),
        guard=lambda: review.may_review(request.user),
        template="billing/ward/claims.html",
        result="page",
        context=export_form,
        status=status,
    )


@login_required
def claims(request):
    return _list_page(request)


def _claim_page(request, claim_id, *, query=None, paid=None, errors=(), status=200):
    page = review.review_page(request.user, claim_id)
    return render(
        request,
        "billing/ward/claim.html",
        {
            "page": page,
            "query": query or QueryForm(),
            "paid": paid or PaidForm(initial={"paid_on": clock.today()}),
            "errors": errors,
        },
        status=status,
    )


@login_required
def claim(request, claim_id: int):
    return _claim_page(request, claim_id)


@login_required
@require_POST
def query(request, claim_id: int):
    form = QueryForm(request.POST)
    if form.is_valid():
        try:
            review.query_line(
                request.user, claim_id, form.cleaned_data["line"], form.cleaned_data["message"]
            )
        except ClaimRefused as error:
            return _claim_page(request, claim_id, query=form, errors=error.messages, status=400)
        messages.success(request, _("The visit was queried; the facility is told."))
        return redirect("billing:ward_claim", claim_id)
    return _claim_page(request, claim_id, query=form, errors=form.non_field_errors(), status=400)


@login_required
@require_POST
def approve(request, claim_id: int):
    """A claim with flagged visits asks first: the post without a ``confirm`` token answers
    the confirmation page listing them; with the token the claim is approved."""
    token = request.POST.get(confirm.FIELD)
    page = review.review_page(request.user, claim_id)
    if page.flagged and page.can_approve and not token:
        context = {"page": page, "token": review.approval_token(page), "errors": ()}
        return render(request, "billing/ward/approve_confirm.html", context)
    try:
        review.approve(request.user, claim_id, confirm_token=token)
    except ValidationError as error:
        if getattr(error, "code", None) == "changed":
            page = review.review_page(request.user, claim_id)
            context = {"page": page, "token": review.approval_token(page), "errors": error.messages}
            return render(request, "billing/ward/approve_confirm.html", context, status=400)
        return _claim_page(request, claim_id, errors=error.messages, status=400)
    messages.success(request, _("The claim was approved."))
    return redirect("billing:ward_claim", claim_id)


@login_required
@require_POST
def pay(request, claim_id: int):
    form = PaidForm(request.POST)
    if form.is_valid():
        try:
            review.mark_paid(request.user, claim_id, form.cleaned_data["paid_on"])
        except ClaimRefused as error:
            return _claim_page(request, claim_id, paid=form, errors=error.messages, status=400)
        messages.success(request, _("The claim was marked paid; the facility is told."))
        return redirect("billing:ward_claim", claim_id)
    return _claim_page(request, claim_id, paid=form, status=400)


@login_required
def export(request):
    """The month's export for the finance system, as a protected export (POST, fresh
    re-authentication, AES-256 ZIP)."""
    if request.method != "POST":
        return post_only(request)
    review.facilities_claiming(request.user)  # 404 for anyone else
    form = ExportForm(request.POST)
    kind = request.POST.get("format", "csv")
    if not form.is_valid() or kind not in review.EXPORT_KINDS:
        if kind not in review.EXPORT_KINDS:
            form.add_error(None, _("Choose CSV or Excel."))
        return _list_page(request, export=form, status=400)
    year, month = form.cleaned_data["year"], form.cleaned_data["month"]
    encoding = form.cleaned_data["encoding"]
    return deliver(
        request,
        lambda request_id: review.export_month(
            request.user, year, month, kind, request_id=request_id, encoding=encoding
        ),
        back=reverse("billing:ward_claims"),
    )
