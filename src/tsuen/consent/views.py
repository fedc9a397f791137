"""The purpose notice, consent, withdrawal and disclosure (開示請求) pages. Thin: the services
authorize (404 when out of reach), audit and refuse with the reason."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tsuen.consent import disclosure, services
from tsuen.consent.services import ConsentInvalid
from tsuen.core.pdf import pdf_response


def _next(request) -> str:
    """Where to go after agreeing: the page that sent the guardian here, if it is ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@login_required
def index(request):
    return render(
        request, "consent/index.html", {"households": services.households_for(request.user)}
    )


@login_required
def notice(request, household_id: int):
    page = services.consent_page(request.user, household_id)
    problems: list[str] = []
    if request.method == "POST":
        if request.POST.get("agree") != "yes":
            problems = [_("Tick the box to show that you have read the notice and agree.")]
        else:
            try:
                version = int(request.POST.get("version", ""))
            except ValueError:
                version = -1
            try:
                services.give_consent(request.user, household_id, version=version)
            except ConsentInvalid as refused:
                problems = refused.messages
            else:
                messages.success(request, _("Thank you. Your consent has been recorded."))
                return redirect(_next(request) or request.path)
        page = services.consent_page(request.user, household_id)
    context = {"page": page, "problems": problems, "next": _next(request)}
    return render(request, "consent/notice.html", context, status=400 if problems else 200)


def _not_found():
    raise Http404


@login_required
def withdraw(request, household_id: int):
    page = services.consent_page(request.user, household_id)
    if not page.may_agree:
        _not_found()
    problems: list[str] = []
    if request.method == "POST":
        try:
            services.withdraw_consent(request.user, household_id)
        except ConsentInvalid as refused:
            problems = refused.messages
        else:
            messages.success(request, _("Your consent has been withdrawn."))
            return redirect("consent:notice", household_id)
    return render(
        request,
        "consent/withdraw.html",
        {"page": page, "problems": problems},
        status=400 if problems else 200,
    )


@login_required
@require_GET
def disclosure_json(request, household_id: int):
    name, data = disclosure.disclosure_json(request.user, household_id)
    response = HttpResponse(data, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def disclosure_pdf(request, household_id: int):
    name, data = disclosure.disclosure_pdf(request.user, household_id)
    return pdf_response(name, data)
