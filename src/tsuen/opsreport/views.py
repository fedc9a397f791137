"""The monthly operations report on screen and as a PDF. Thin: the service authorizes (404 out
of reach, before the month is looked at), builds and records; a month that cannot be reported
answers 400 on the page with the reason."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tsuen.core.pdf import pdf_response
from tsuen.opsreport import services


def _month(request, municipality_id: int):
    ward = services.ward_for(request.user, municipality_id)  # 404 for anyone else
    try:
        return ward, services.month_asked(request.GET.get("month")), None
    except services.MonthRefused as refused:
        return ward, None, " ".join(refused.messages)


@login_required
@require_GET
def report(request, municipality_id: int):
    ward, month, error = _month(request, municipality_id)
    if error:
        context = {"ward": ward, "error": error, "asked": request.GET.get("month", "")}
        return render(request, "opsreport/report.html", context, status=400)
    found = services.view(request.user, municipality_id, month)
    context = {
        "ward": ward,
        "r": found,
        "asked": found.month_code,
        "previous": services.previous_month(month),
        "next": services.next_month(month) if found.over else None,
    }
    return render(request, "opsreport/report.html", context)


@login_required
@require_GET
def report_pdf(request, municipality_id: int):
    ward, month, error = _month(request, municipality_id)
    if error:
        context = {"ward": ward, "error": error, "asked": request.GET.get("month", "")}
        return render(request, "opsreport/report.html", context, status=400)
    found, data = services.download(request.user, municipality_id, month)
    return pdf_response(services.file_name(found), data)
