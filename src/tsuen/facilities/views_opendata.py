"""Open data (issue 13, item 6): the public page and files, and the ward's import of its register
from such a file. Thin views: parse, call services_opendata, render."""

from __future__ import annotations

import base64
import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from tsuen.core import clock, confirm, ratelimit
from tsuen.core.csvutil import BOM, csv_row
from tsuen.facilities import opendata
from tsuen.facilities import services_opendata as service
from tsuen.files.services import Owner, UploadRefused, check_data_file

LICENCE = "CC BY 4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/deed.ja"
#: Where the import keeps the uploaded file between the preview and the confirmation.
SESSION_KEY = "facilities.open_data_import"


# --- public ----------------------------------------------------------------------------------


@require_GET
def index(request):
    return render(
        request,
        "facilities/opendata/index.html",
        {
            "municipalities": service.published_municipalities(request.user),
            "now": clock.now(),
            "columns": opendata.COLUMNS,
            "extra_columns": opendata.EXTRA_COLUMNS,
            "licence": LICENCE,
            "licence_url": LICENCE_URL,
        },
    )


def _filter(request):
    try:
        return service.municipality_filter(request.GET.get("municipality"))
    except service.BadMunicipalityCode:
        return None


def _bad_filter() -> HttpResponse:
    return HttpResponse(
        _("municipality must be a municipality code (6 digits with its check digit, or 5)."),
        status=400,
        content_type="text/plain; charset=utf-8",
    )


def _rows(request, code):
    def url_of(facility):
        return request.build_absolute_uri(reverse("facilities:detail", args=[facility.pk]))

    return service.published_rows(request.user, url_of=url_of, municipality_code=code)


def _file_name(code: str | None, extension: str) -> str:
    suffix = f"_{opendata.full_code(code)}" if code else ""
    return f"preschool{suffix}.{extension}"


@require_GET
@ratelimit.limited("open_data")
def facilities_csv(request):
    if request.GET.get("municipality") and _filter(request) is None:
        return _bad_filter()
    code = _filter(request)

    def lines():
        yield BOM + csv_row(opendata.HEADER)
        for row in _rows(request, code):
            yield csv_row(row[name] for name in opendata.HEADER)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_file_name(code, "csv")}"'
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
@ratelimit.limited("open_data")
def facilities_json(request):
    if request.GET.get("municipality") and _filter(request) is None:
        return _bad_filter()
    code = _filter(request)

    def pieces():
        head = {
            "dataset": "子育て施設一覧",
            "license": LICENCE,
            "license_url": LICENCE_URL,
            "generated_at": clock.now().isoformat(timespec="seconds"),
            "columns": list(opendata.HEADER),
        }
        yield json.dumps(head, ensure_ascii=False)[:-1] + ', "facilities": ['
        for n, row in enumerate(_rows(request, code)):
            yield ("," if n else "") + json.dumps(row, ensure_ascii=False)
        yield "]}"

    response = StreamingHttpResponse(pieces(), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{_file_name(code, "json")}"'
    response["Access-Control-Allow-Origin"] = "*"
    return response


# --- the ward's import -----------------------------------------------------------------------


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file (子育て施設一覧 layout, UTF-8 or Shift_JIS)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


def _preview(request, plan, *, status=None, error=""):
    return render(
        request,
        "facilities/ward/import_preview.html",
        {"plan": plan, "error": error, "confirm_field": confirm.FIELD},
        status=status or (200 if plan.ok else 400),
    )


@login_required
def ward_import(request):
    if not service.may_import(request.user):
        raise Http404
    form = ImportForm(*((request.POST, request.FILES) if request.method == "POST" else ()))
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            data = check_data_file(
                upload,
                owner=Owner(municipality_id=request.user.municipality_id),
                max_bytes=service.MAX_IMPORT_BYTES,
            )
        except UploadRefused as refused:
            form.add_error("file", refused)
        else:
            plan = service.plan_import(request.user, data, upload.name or "")
            request.session[SESSION_KEY] = {
                "name": plan.file_name,
                "data": base64.b64encode(data).decode("ascii"),
            }
            return _preview(request, plan)
    return render(
        request,
        "facilities/ward/import.html",
        {"form": form, "columns": opendata.REQUIRED},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def ward_import_confirm(request):
    if not service.may_import(request.user):
        raise Http404
    pending = request.session.get(SESSION_KEY)
    if not pending:
        messages.error(request, _("Upload the file again: it is no longer held."))
        return redirect("facilities:ward_import")
    data = base64.b64decode(pending["data"])
    try:
        plan = service.apply_import(
            request.user, data, pending["name"], request.POST.get(confirm.FIELD)
        )
    except service.ImportRefused as refused:
        return _preview(request, refused.plan, status=400, error=refused.messages[0])
    del request.session[SESSION_KEY]
    messages.success(
        request,
        _("The file has been imported: %(created)d facilities registered, %(updated)d updated.")
        % {"created": len(plan.creates), "updated": len(plan.updates)},
    )
    return redirect("facilities:ward_register")
