"""The ward's dashboard. Thin: parse with a form, call the service, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _

from tsuen.core import dates
from tsuen.reports import charts, services
from tsuen.reports.forms import SORT_CHOICES, DashboardForm


def _charts(trend: list[services.TrendMonth]) -> list[charts.BarChart]:
    labels = [f"{m.month.month}" for m in trend]
    span = {"first": dates.month_text(trend[0].month), "last": dates.month_text(trend[-1].month)}
    return [
        charts.bar_chart(
            "trend-visits",
            _("Visits per month"),
            _("Attended visits of the ward's children per month, %(first)s to %(last)s.") % span,
            labels,
            [m.visits for m in trend],
        ),
        charts.bar_chart(
            "trend-hours",
            _("Child-hours per month"),
            _("Hours the ward's children attended per month, %(first)s to %(last)s.") % span,
            labels,
            [m.minutes / 60 for m in trend],
            [m.child_hours for m in trend],
        ),
        charts.bar_chart(
            "trend-certifications",
            _("New certifications per month"),
            _("Certifications made by the ward per month, %(first)s to %(last)s.") % span,
            labels,
            [m.new_certifications for m in trend],
        ),
    ]


@login_required
def dashboard(request):
    form = DashboardForm(request.GET or None)
    status = 200
    month, sort = None, "name"
    if form.is_bound:
        if form.is_valid():
            month, sort = form.cleaned_data["month"], form.cleaned_data["sort"] or "name"
        else:
            status = 400
    board = services.dashboard(request.user, month, sort)
    return render(
        request,
        "reports/dashboard.html",
        {
            "form": form,
            "board": board,
            "charts": _charts(board.trend),
            "sort_choices": SORT_CHOICES,
            "near_cap_percent": services.NEAR_CAP_PERCENT,
            "outreach_days": services.OUTREACH_DAYS,
        },
        status=status,
    )
