"""The API clients screens of a ward's administrator (``/municipality/api-clients/``) and a
facility's manager (``/facilities/staff/api-clients/``). Thin: the services decide who may act
(404 out of reach), write and audit. The secret is shown once, on the answer to the POST that
made it (never stored, never redirected through the session)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from tsuen.api import services
from tsuen.api.forms import ClientForm
from tsuen.core.views import status_of


def _owner(request, kind: str) -> services.Owner:
    owner = services.owner_of(request.user)
    if owner.kind != kind:
        raise Http404
    return owner


def _base(kind: str) -> str:
    return f"api:{kind}"


@login_required
def client_list(request, kind: str):
    _owner(request, kind)
    owner, rows = services.clients(request.user)
    return render(request, "api/list.html", {"owner": owner, "clients": rows, "base": _base(kind)})


def _secret_page(request, kind: str, issued: services.Issued):
    response = render(
        request,
        "api/secret.html",
        {"client": issued.client, "token": issued.token, "base": _base(kind)},
    )
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@login_required
def client_new(request, kind: str):
    owner = _owner(request, kind)
    form = ClientForm(request.POST if request.method == "POST" else None, owner=owner.kind)
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.create(
                request.user, form.cleaned_data["name"], form.cleaned_data["scopes"]
            )
        except services.ClientRefused as error:
            form.add_error(None, error)
        else:
            return _secret_page(request, kind, issued)
    return render(
        request,
        "api/new.html",
        {"owner": owner, "form": form, "base": _base(kind)},
        status=status_of(form),
    )


def _confirm_page(request, kind, found, what, *, error="", status=200):
    if what == "rotate":
        texts = {
            "heading": _("New secret"),
            "effect": _(
                "A new secret is made and shown once. The current secret stops working at once: "
                "the system must be given the new one."
            ),
            "button": _("Make a new secret"),
        }
    else:
        texts = {
            "heading": _("Revoke the client"),
            "effect": _(
                "The client can no longer call the API, at once. This cannot be undone: to "
                "connect the system again, add a new client."
            ),
            "button": _("Revoke the client"),
        }
    return render(
        request,
        "api/confirm.html",
        {
            **texts,
            "client": found,
            "token": services.change_token(found, what),
            "form_error": error,
            "base": _base(kind),
        },
        status=status,
    )


@never_cache
@login_required
def client_rotate(request, kind: str, client_id: int):
    _owner(request, kind)
    found = services.client(request.user, client_id)
    if request.method == "POST":
        try:
            issued = services.rotate(
                request.user, client_id, confirm_token=request.POST.get("confirm")
            )
        except services.ValidationError as error:
            found = services.client(request.user, client_id)
            return _confirm_page(
                request, kind, found, "rotate", error=error.messages[0], status=400
            )
        return _secret_page(request, kind, issued)
    return _confirm_page(request, kind, found, "rotate")


@login_required
def client_revoke(request, kind: str, client_id: int):
    from django.contrib import messages
    from django.shortcuts import redirect

    _owner(request, kind)
    found = services.client(request.user, client_id)
    if request.method == "POST":
        try:
            services.revoke(request.user, client_id, confirm_token=request.POST.get("confirm"))
        except services.ValidationError as error:
            found = services.client(request.user, client_id)
            return _confirm_page(
                request, kind, found, "revoke", error=error.messages[0], status=400
            )
        messages.success(request, _("The client has been revoked."))
        return redirect(f"{_base(kind)}:clients")
    return _confirm_page(request, kind, found, "revoke")
