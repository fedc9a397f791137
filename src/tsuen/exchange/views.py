"""The ward administrator's exchange-file page: export the ward's certifications, upload a
file to import, its preview, the import and its discarding. Thin: forms parse, the services
authorize (404 for anyone else), check and write."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tsuen.core import confirm
from tsuen.exchange import layout, services
from tsuen.exchange.forms import ExportForm, ReadAsForm, UploadForm
from tsuen.exports.views import deliver, post_only
from tsuen.files.services import UploadRefused


def _no_store(response):
    response["Cache-Control"] = "no-store"
    return response


def _home(request, *, export=None, upload=None, status=200):
    municipality = services.ward_of(request.user)
    context = {
        "municipality": municipality,
        "export": export or ExportForm(),
        "upload": upload or UploadForm(),
        "columns": layout.COLUMNS,
    }
    return render(request, "exchange/home.html", context, status=status)


@login_required
def home(request):
    return _home(request)


@login_required
def export(request):
    """The ward's certifications as a protected export (POST, fresh re-authentication,
    AES-256 ZIP). A Shift_JIS file that cannot hold a character is refused first, each cell
    named."""
    if request.method != "POST":
        return post_only(request)
    services.ward_of(request.user)  # 404 for anyone else
    form = ExportForm(request.POST)
    if not form.is_valid():
        return _home(request, export=form, status=400)
    encoding = form.cleaned_data["encoding"]
    try:
        services.export_check(request.user, encoding)
    except services.ExchangeRefused as refused:
        for message in refused.messages:
            form.add_error(None, message)
        return _home(request, export=form, status=400)
    return deliver(
        request,
        lambda request_id: services.export_sealed(request.user, encoding, request_id=request_id),
        back=reverse("exchange:home"),
    )


@login_required
@require_POST
def upload(request):
    services.ward_of(request.user)  # 404 for anyone else
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            found = services.upload(
                request.user, form.cleaned_data["file"], form.cleaned_data["encoding"]
            )
        except (UploadRefused, services.ExchangeRefused) as refused:
            for message in refused.messages:
                form.add_error("file", message)
        else:
            return redirect("exchange:preview", found.token)
    return _home(request, upload=form, status=400)


def _preview_page(request, token, *, encoding=None, errors=(), status=200):
    found, result = services.preview(request.user, token, encoding)
    context = {
        "upload": found,
        "result": result,
        "read_as": ReadAsForm(initial={"encoding": found.encoding}),
        "encoding_label": {"utf-8": "UTF-8", "cp932": "Shift_JIS"}.get(result.encoding, ""),
        "errors": errors,
        "token": result.token,
        "hidden": {},
    }
    return _no_store(render(request, "exchange/preview.html", context, status=status))


@login_required
def preview(request, token: str):
    """GET: the preview. POST: read the file again in the encoding chosen."""
    if request.method == "POST":
        form = ReadAsForm(request.POST)
        if not form.is_valid():
            return _preview_page(request, token, errors=form.errors["encoding"], status=400)
        return _preview_page(request, token, encoding=form.cleaned_data["encoding"])
    return _preview_page(request, token)


@login_required
@require_POST
def commit(request, token: str):
    try:
        done = services.commit(request.user, token, confirm_token=request.POST.get(confirm.FIELD))
    except ValidationError as refused:
        return _preview_page(request, token, errors=refused.messages, status=400)
    messages.success(
        request,
        _(
            "Imported: certifications %(certifications)s, children %(children)s, "
            "households %(households)s. The uploaded file was deleted."
        )
        % {
            "certifications": done.certifications,
            "children": done.children,
            "households": done.households,
        },
    )
    return redirect("exchange:home")


@login_required
@require_POST
def discard(request, token: str):
    services.discard(request.user, token)
    messages.success(request, _("The uploaded file was deleted; nothing was imported."))
    return redirect("exchange:home")
