"""The ward desk's disclosure pages (開示請求 on paper). Thin: parse with the forms, call
:mod:`tsuen.consent.desk` (which authorizes, 404 out of reach, refuses and audits), render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tsuen.consent import desk
from tsuen.consent.forms import DeskRequestForm, HouseholdSearchForm, ProduceForm
from tsuen.core.views import filtered_list, handle_post, status_of
from tsuen.exports.forms import ExportRequestForm
from tsuen.exports.services import made_for
from tsuen.exports.views import deliver


def _never(export_request_id: str):
    raise AssertionError("the export was made already")  # deliver finds it first


@login_required
@require_GET
def index(request):
    """The ward's desk requests, the latest first, and the way to a new one."""
    page = desk.requests_for(request.user, request.GET.get("page", 1))
    return render(request, "consent/desk/index.html", {"page_obj": page})


@login_required
@require_GET
def households(request):
    """Find the household of a paper request by a guardian's or child's name or reading."""

    def find(filters):
        return desk.find_households(request.user, filters.get("text", ""))

    return filtered_list(
        request,
        HouseholdSearchForm(request.GET or None),
        filters=lambda **data: data,
        find=find,
        guard=lambda: desk.may_use_desk(request.user),
        template="consent/desk/households.html",
        result="hits",
        context=lambda filters: {"searched": bool(filters and filters.get("text", "").strip())},
    )


@login_required
def new_request(request, household_id: int):
    """Record a paper request for the household (the form, then the request's page)."""
    hit = desk.household_for_request(request.user, household_id)  # 404 out of reach
    form = DeskRequestForm(request.POST if request.method == "POST" else None)
    done = handle_post(
        request,
        form,
        lambda data: desk.record_request(request.user, household_id, **data),
        done=_("The request has been recorded. Check what will be disclosed, then produce it."),
        then=lambda made: ("consent:desk_request", made.pk),
        refused=desk.DeskInvalid,
    )
    if done:
        return done
    waiting = desk.open_request(household_id)
    return render(
        request,
        "consent/desk/new.html",
        {"hit": hit, "form": form, "waiting": waiting},
        status=status_of(form),
    )


def _request_page(request, request_id: int, *, form=None, problems=(), status=200):
    page = desk.request_page(request.user, request_id)
    context = {"page": page, "form": form or ProduceForm(), "problems": list(problems)}
    response = render(request, "consent/desk/request.html", context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def request_detail(request, request_id: int):
    return _request_page(request, request_id)


@login_required
def produce(request, request_id: int):
    """Produce the request's files as a protected export (POST, fresh re-authentication,
    AES-256 ZIP with the PDF and the JSON). Refusals come back on the request's page, 400."""
    if request.method == "POST":
        form = ProduceForm(request.POST)
        form.is_valid()
        desk.request_page_reach(request.user, request_id)  # 404 out of reach
        asked = ExportRequestForm(request.POST)
        if asked.is_valid() and made_for(request.user, asked.cleaned_data["request_id"]):
            # The same form again (a reload): the export's page, without the password.
            return deliver(request, _never, back=reverse("consent:desk_request", args=[request_id]))
        try:
            desk.request_for_production(request.user, request_id)  # produced already
            if not form.cleaned_data.get("confirmed"):
                raise desk.DeskInvalid(
                    _(
                        "Confirm that you checked the requester's identity and the household "
                        "before producing the files."
                    )
                )
        except desk.DeskInvalid as refused:
            return _request_page(
                request, request_id, form=form, problems=refused.messages, status=400
            )
    try:
        return deliver(
            request,
            lambda export_request_id: desk.produce(
                request.user,
                request_id,
                confirmed=bool(request.POST.get("confirmed")),
                export_request_id=export_request_id,
            ),
            back=reverse("consent:desk_request", args=[request_id]),
        )
    except desk.DeskInvalid as refused:  # produced meanwhile by a colleague: nothing made
        return _request_page(request, request_id, problems=refused.messages, status=400)
