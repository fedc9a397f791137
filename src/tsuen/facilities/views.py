"""Finding a facility, its page, and the first interview. Thin views: parse, call, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tsuen.core import ratelimit
from tsuen.core.views import status_of
from tsuen.facilities import services
from tsuen.facilities.forms import PREFECTURE_NAMES, InterviewRequestForm, SearchForm, all_of
from tsuen.families import services as families


def search(request):
    children = ()
    if request.user.is_authenticated and request.user.is_family:
        children = families.children_for(request.user)
    # A page number alone is still the page opened without a query (its next pages).
    data = request.GET if set(request.GET) - {"page"} else None
    form = SearchForm.build(data, children=children)
    result = None
    if not form.is_bound or form.is_valid():
        result = services.search_facilities(
            request.user, form.criteria(), page=request.GET.get("page", 1)
        )
    query = request.GET.copy()
    query.pop("page", None)
    # The filters fold behind one button; its label says how many are set.
    context = {"form": form, "result": result, "query": query.urlencode(), "chosen": form.chosen()}
    return render(request, "facilities/search.html", context)


def municipalities(request):
    """The search form's municipality list for one prefecture (its script refills the list when
    the prefecture changes; without it, the list follows the prefecture once searched)."""
    name = PREFECTURE_NAMES.get(request.GET.get("prefecture", ""), "")
    found = services.search_municipalities(prefecture=name) if name else []
    return JsonResponse({"all": all_of(name), "municipalities": [[m.pk, m.name] for m in found]})


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
