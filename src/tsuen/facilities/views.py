"""Finding a facility, its page, and the first interview. Thin views: parse, call, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tsuen.core import ratelimit
from tsuen.core.views import status_of
from tsuen.facilities import services
from tsuen.facilities.forms import InterviewRequestForm, SearchForm
from tsuen.families import services as families


def search(request):
    children = ()
    if request.user.is_authenticated and request.user.is_family:
        children = families.children_for(request.user)
    form = SearchForm(
        request.GET or None,
        municipalities=services.search_municipalities(),
        children=children,
    )
    result = None
    if form.is_bound and form.is_valid():
        result = services.search_facilities(
            request.user, form.criteria(), page=request.GET.get("page", 1)
        )
    elif not form.is_bound:
        result = services.search_facilities(
            request.user, services.SearchCriteria(), page=request.GET.get("page", 1)
        )
    query = request.GET.copy()
    query.pop("page", None)
    # The filters fold behind one button; its label says how many are set.
    chosen = sum(1 for name in form.fields if request.GET.get(name, "") not in ("", "0"))
    return render(
        request,
        "facilities/search.html",
        {"form": form, "result": result, "query": query.urlencode(), "chosen": chosen},
    )


def detail(request, facility_id: int):
    page = services.facility_page(request.user, facility_id)
    return render(request, "facilities/detail.html", {"page": page})


@login_required
@ratelimit.limited("interview_request", when=ratelimit.posted())
def interview_request(request, facility_id: int):
    choices = services.interview_choices(request.user, facility_id)
    data = request.POST if request.method == "POST" else None
    form = InterviewRequestForm(data, children=choices.children, slots=choices.slots)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_interview(
                request.user,
                form.cleaned_data["child"],
                form.cleaned_data["slot"],
                facility_id=facility_id,
            )
        except services.InterviewRefused as refused:
            form.add_error(None, refused)
        else:
            messages.success(
                request,
                _("Your interview request has been sent. The facility will tell you the outcome."),
            )
            return redirect("facilities:interviews")
    context = {"choices": choices, "form": form}
    return render(request, "facilities/interview_request.html", context, status=status_of(form))


@login_required
def interviews(request):
    return render(
        request,
        "facilities/interviews.html",
        {"interviews": services.interviews_for(request.user)},
    )


@login_required
@require_POST
def interview_cancel(request, interview_id: int):
    try:
        services.cancel_interview(request.user, interview_id)
    except services.InterviewRefused as refused:
        for message in refused.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The interview request has been cancelled."))
    return redirect("facilities:interviews")
