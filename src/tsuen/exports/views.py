"""The screens every protected export shares: the answer to the POST that asks for a file
(the password, shown once), the export's own page and its download.

A view that hands out a file of personal data parses its own input, lets its service refuse
anyone out of reach (404), then returns :func:`deliver`.
"""

from __future__ import annotations

from collections.abc import Callable

from allauth.account.decorators import reauthentication_required
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_POST

from tsuen.exports import services
from tsuen.exports.forms import ExportRequestForm
from tsuen.exports.models import ProtectedExport


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def post_only(request) -> HttpResponse:
    """GET on an export's address: files are made only by the page's button (POST)."""
    response = render(request, "exports/post_only.html", status=405)
    response["Allow"] = "POST"
    return response


def deliver(request, build: Callable[[str], services.Sealed], *, back: str = "") -> HttpResponse:
    """The POST that asks for a protected file.

    ``build(request_id)`` calls the export's service (which authorizes, builds, seals and
    audits) and returns the sealed file. Before it runs, the user must have re-authenticated
    within ``ACCOUNT_REAUTHENTICATION_TIMEOUT`` (allauth's ``reauthentication_required``:
    otherwise the POST is kept in the session, the user is sent to re-authenticate by password
    or second factor, and the POST is replayed afterwards). ``back`` is the page to go back to.
    """
    if request.method != "POST":
        return post_only(request)
    form = ExportRequestForm(request.POST)
    if not form.is_valid():
        return render(request, "exports/refused.html", {"form": form}, status=400)
    produce = reauthentication_required(_produce)
    return produce(request, build, form.cleaned_data["request_id"], back)


@sensitive_variables("sealed")
def _produce(request, build, request_id: str, back: str) -> HttpResponse:
    made = services.made_for(request.user, request_id)
    if made is None:
        try:
            sealed = build(request_id)
        except services.AlreadyMade as exc:
            made = exc.export
        else:
            return _ready_page(request, sealed.export, sealed.password, back)
    return _ready_page(request, made, None, back)


@sensitive_variables("password")
def _ready_page(request, export: ProtectedExport, password: str | None, back: str):
    context = {"export": export, "password": password, "back": back}
    return _private(render(request, "exports/ready.html", context))


@login_required
def ready(request, token: str):
    """The export's page for its owner, without the password (shown only once)."""
    return _ready_page(request, services.for_owner(request.user, token), None, "")


@login_required
@require_POST
def download(request, token: str):
    export = services.download(request.user, token)
    response = HttpResponse(bytes(export.zip_data), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{export.zip_name}"'
    return _private(response)
