"""The family's application pages. Thin: parse with a form, call a service, render."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from tsuen.accounts.models import Role
from tsuen.certification import services
from tsuen.certification.forms import ApplicantForm, ChildFormSet, StartForm
from tsuen.consent.services import ConsentRequired, has_consent
from tsuen.core import postal, ratelimit
from tsuen.core.pdf import pdf_response
from tsuen.core.views import status_of
from tsuen.files.services import UploadRefused


@login_required
def application_list(request):
    return render(
        request,
        "certification/list.html",
        {
            "applications": services.applications_for(request.user),
            "can_apply": request.user.role == Role.GUARDIAN,
        },
    )


@login_required
def start(request):
    if request.user.role != Role.GUARDIAN:
        raise Http404
    form = StartForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            application = services.start(
                request.user,
                form.cleaned_data["municipality"].pk,
                postal_code=form.cleaned_data.get("postal_code", ""),
            )
        except services.ApplicationInvalid as exc:
            form.add_error(None, exc)
        else:
            edit = reverse("certification:edit", args=[application.pk])
            if not has_consent(application.household_id):  # the notice comes first
                notice = reverse("consent:notice", args=[application.household_id])
                return redirect(f"{notice}?next={quote(edit)}")
            return redirect(edit)
    return render(request, "certification/start.html", {"form": form}, status=status_of(form))


@login_required
@require_GET
@ratelimit.limited("postal_lookup")
def postal_lookup(request, code: str):
    """The address of a postal code as JSON, for the page's address fill."""
    found = postal.lookup(code)
    if found is None:
        return JsonResponse({"found": False}, status=404)
    municipality = services.municipalities().filter(code=found.municipality_code).first()
    return JsonResponse(
        {
            "found": True,
            "postal_code": found.display_code,
            "prefecture": found.prefecture,
            "city": found.city,
            "town": found.town,
            "municipality_code": found.municipality_code,
            "municipality_id": municipality.pk if municipality else None,
        }
    )


def _forms(request, application, *, draft: bool):
    data, files = (request.POST, request.FILES) if request.method == "POST" else (None, None)
    has_evidence = application.fee_evidence_id is not None
    if data is None:
        entries = services.tidy_entries(application.entries or {})
        initial = entries["guardian"] | entries["address"] | {"fee_class": entries["fee_class"]}
        children = entries["children"] or [services.empty_child()]
        return (
            ApplicantForm(initial=initial, prefix="g", has_evidence=has_evidence),
            ChildFormSet(initial=children, prefix="c"),
        )
    return (
        ApplicantForm(data, files, prefix="g", draft=draft, has_evidence=has_evidence),
        ChildFormSet(data, prefix="c", form_kwargs={"draft": draft}),
    )


def _entries(applicant: ApplicantForm, children: ChildFormSet) -> dict:
    applicant_values = applicant.entries()
    kept = [
        f.entries()
        for f in children.forms
        if not (f.is_bound and f.has_changed() is not None and f["DELETE"].value())
    ]
    for child in kept:
        if not isinstance(child.get("child_id"), int):
            child.pop("child_id", None)
    return {
        "guardian": {k: applicant_values.get(k) for k in services.GUARDIAN_FIELDS},
        "address": {k: applicant_values.get(k) for k in services.ADDRESS_FIELDS},
        "fee_class": applicant_values.get("fee_class") or "",
        "children": kept,
    }


@login_required
@ratelimit.limited("application_submit", when=ratelimit.posted("action", "submit"))
def edit(request, application_id: int):
    application = services.application_for_editing(request.user, application_id)
    action = request.POST.get("action", "save")
    draft = action != "submit"
    applicant, children = _forms(request, application, draft=draft)
    problems: list[str] = []
    if request.method == "POST":
        valid = applicant.is_valid() & children.is_valid()
        entries = _entries(applicant, children)
        if action == "add_child":
            entries["children"].append(services.empty_child())
        evidence = applicant.cleaned_data.get("fee_evidence") if valid or draft else None
        if "fee_evidence" in applicant.errors:
            evidence = None
        try:
            if draft:
                services.save_draft(request.user, application.pk, entries, evidence)
                if action == "add_child":
                    return redirect(f"{request.path}#child-{len(entries['children'])}")
                # The confirmation is shown by the page itself, from a flag in the URL.
                return redirect(f"{request.path}?saved=1")
            if valid:
                services.submit(request.user, application.pk, entries, evidence)
                return redirect(reverse("certification:detail", args=[application.pk]) + "?sent=1")
        except ConsentRequired as exc:
            problems = exc.messages
        except UploadRefused as exc:
            applicant.add_error("fee_evidence", exc)
        except services.ApplicationInvalid as exc:
            problems = exc.messages
    return render(
        request,
        "certification/edit.html",
        {
            "application": application,
            "applicant": applicant,
            "children": children,
            "problems": problems,
            "saved": request.method == "GET" and "saved" in request.GET,
            "consent_url": None
            if has_consent(application.household_id)
            else reverse("consent:notice", args=[application.household_id])
            + "?next="
            + quote(request.path),
        },
        status=200,
    )


@login_required
def detail(request, application_id: int):
    page = services.application_for(request.user, application_id)
    return render(
        request, "certification/detail.html", {"page": page, "sent": "sent" in request.GET}
    )


@login_required
def pdf(request, application_id: int):
    name, data = services.pdf_for(request.user, application_id)
    return pdf_response(name, data, inline=True)


@login_required
def notice_pdf(request, certification_id: int):
    """The family's own certification notice (not a protected export: docs/exports.md)."""
    name, data = services.certification_notice_pdf(request.user, certification_id)
    return pdf_response(name, data)


@login_required
def rejection_pdf(request, application_id: int):
    """The family's own notice of rejection (却下通知書)."""
    name, data = services.rejection_notice_pdf(request.user, application_id)
    return pdf_response(name, data)
