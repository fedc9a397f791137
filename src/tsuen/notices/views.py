"""The calendar feed pages. Thin: parse with a form, call a service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tsuen.core import ratelimit
from tsuen.notices import feeds
from tsuen.notices.forms import CalendarFeedForm


@login_required
@require_http_methods(["GET", "POST"])
def calendar_settings(request):
    context = {}
    if request.method == "POST":
        form = CalendarFeedForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("That did not work: please try again."))
            return redirect("notices:calendar_settings")
        child_id = form.cleaned_data["child"]
        if form.cleaned_data["action"] == CalendarFeedForm.REMOVE:
            feeds.remove_feed(request.user, child_id)
            messages.success(request, _("The calendar feed is off: its URL no longer works."))
            return redirect("notices:calendar_settings")
        context = {"new_url": feeds.reset_feed(request.user, child_id), "new_for": child_id}
    context["feeds"] = feeds.feeds_for(request.user)
    response = render(request, "notices/calendar_settings.html", context)
    response["Cache-Control"] = "private, no-store"  # the page may show the secret URL
    return response


@require_GET
@ratelimit.limited("calendar_feed", keys=lambda request, token: {"token": token})
def ical(request, token: str):
    response = HttpResponse(feeds.ical_feed(token), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private"
    response["Content-Disposition"] = 'inline; filename="tsuen.ics"'
    response["X-Robots-Tag"] = "noindex"
    return response
