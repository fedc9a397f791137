"""The webhook screens (issue 13 item 5). Thin: parse with the form, call ``services``, render.
Who may act is decided by the service (404 out of reach); bad input and refused steps answer
400 on the same page with the reason, nothing written. The signing secret is shown once, on the
answer to the post that made it (never in a URL, never again)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from tsuen.core.views import status_of
from tsuen.webhooks import services
from tsuen.webhooks.forms import EndpointForm
from tsuen.webhooks.signing import TOLERANCE_SECONDS


def _guard(request, kind: str) -> None:
    """Each route set answers its own kind of user only (a facility's manager, a ward's
    administrator); the service decides the rest."""
    user = request.user
    if (kind == "facility") != bool(getattr(user, "is_facility", False)):
        raise Http404


def _url(kind: str, name: str, *args) -> str:
    return reverse(f"webhooks:{kind}_{name}", args=args)


def _index_page(request, kind, form, *, status=200, secret=None, created=None):
    endpoints = services.endpoints_for(request.user)
    for e in endpoints:
        e.event_labels = [services.event_label(v) for v in e.events]
    context = {
        "kind": kind,
        "endpoints": endpoints,
        "form": form,
        "secret": secret,
        "created": created,
        "tolerance": TOLERANCE_SECONDS,
    }
    return render(request, "webhooks/index.html", context, status=status)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def index(request, kind):
    _guard(request, kind)
    choices = services.event_choices(request.user)  # 404 for anyone else
    form = EndpointForm(request.POST or None, choices=choices)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            endpoint, secret = services.create(
                request.user, data["url"], data["events"], data["label"]
            )
        except ValidationError as refused:
            form.add_error("url" if refused.code in _URL_CODES else None, refused)
        else:
            return _index_page(
                request, kind, EndpointForm(choices=choices), secret=secret, created=endpoint
            )
    return _index_page(request, kind, form, status=status_of(form))


_URL_CODES = {"invalid", "credentials", "not_https", "unresolved", "private"}


def _endpoint_page(request, kind, pk, form=None, *, status=200, error=None):
    endpoint, log = services.log_for(request.user, pk)
    choices = services.event_choices(request.user)
    form = form or EndpointForm(
        initial={"url": endpoint.url, "label": endpoint.label, "events": endpoint.events},
        choices=choices,
    )
    context = {
        "kind": kind,
        "endpoint": endpoint,
        "event_labels": [services.event_label(v) for v in endpoint.events],
        "log": log,
        "form": form,
        "error": error,
    }
    return render(request, "webhooks/endpoint.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def endpoint(request, kind, pk):
    _guard(request, kind)
    if request.method == "GET":
        return _endpoint_page(request, kind, pk)
    form = EndpointForm(request.POST, choices=services.event_choices(request.user))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.update(request.user, pk, data["url"], data["events"], data["label"])
        except ValidationError as refused:
            form.add_error("url" if refused.code in _URL_CODES else None, refused)
        else:
            messages.success(request, _("The endpoint was saved."))
            return redirect(_url(kind, "endpoint", pk))
    return _endpoint_page(request, kind, pk, form, status=400)


@login_required
@require_POST
def toggle(request, kind, pk):
    _guard(request, kind)
    enabled = request.POST.get("enabled") == "1"
    try:
        services.set_enabled(request.user, pk, enabled)
    except ValidationError as refused:
        return _endpoint_page(request, kind, pk, status=400, error=" ".join(refused.messages))
    messages.success(
        request,
        _("The endpoint is enabled: events are sent again.")
        if enabled
        else _("The endpoint is disabled: nothing is sent until it is enabled again."),
    )
    return redirect(_url(kind, "endpoint", pk))


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def rotate(request, kind, pk):
    _guard(request, kind)
    errors = []
    if request.method == "POST":
        try:
            endpoint, secret = services.rotate(
                request.user, pk, confirm_token=request.POST.get("confirm")
            )
        except ValidationError as refused:
            errors = refused.messages
        else:
            context = {"kind": kind, "endpoint": endpoint, "secret": secret, "rotated": True}
            return render(request, "webhooks/secret.html", context)
    effects = services.rotate_effects(request.user, pk)
    context = {"kind": kind, "effects": effects, "errors": errors, "what": "rotate"}
    return render(request, "webhooks/confirm.html", context, status=400 if errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def delete(request, kind, pk):
    _guard(request, kind)
    errors = []
    if request.method == "POST":
        try:
            services.delete(request.user, pk, confirm_token=request.POST.get("confirm"))
        except ValidationError as refused:
            errors = refused.messages
        else:
            messages.success(request, _("The endpoint was deleted."))
            return redirect(_url(kind, "index"))
    effects = services.delete_effects(request.user, pk)
    context = {"kind": kind, "effects": effects, "errors": errors, "what": "delete"}
    return render(request, "webhooks/confirm.html", context, status=400 if errors else 200)


@login_required
@require_POST
def replay(request, kind, pk, delivery):
    _guard(request, kind)
    try:
        services.replay(request.user, pk, delivery)
    except ValidationError as refused:
        return _endpoint_page(request, kind, pk, status=400, error=" ".join(refused.messages))
    messages.success(request, _("The event will be sent again, after those waiting before it."))
    return redirect(_url(kind, "endpoint", pk))
