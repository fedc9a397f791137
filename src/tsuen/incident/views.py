"""The incident screen (switches and their release) and the blast-radius query. Thin: parse,
call the service, render; who may is decided by the services (404 for anyone else)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tsuen.core.dates import ward_of
from tsuen.exports.views import deliver, post_only
from tsuen.incident import blast as blast_service
from tsuen.incident import guard, services
from tsuen.incident.forms import BlastForm, PullForm, ReleaseForm
from tsuen.incident.models import LASTING, Kind

HISTORY = 30


def _page(request, forms: dict | None = None, status: int = 200):
    user = request.user
    switches = services.switches_for(user)
    forms = forms or {}
    context = {
        "live": services.listed(
            user, switches.filter(kind__in=sorted(LASTING), released_at__isnull=True)
        ),
        "history": services.listed(user, switches[:HISTORY]),
        "forms": [
            (kind, label, forms.get(kind) or PullForm(user, kind=kind))
            for kind, label in Kind.choices
        ],
        "release_form": ReleaseForm(),
        "can_blast": _can_blast(user),
    }
    return render(request, "incident/index.html", context, status=status)


def _can_blast(user) -> bool:
    from tsuen.audit.models import AuditEvent
    from tsuen.authz.policy import Action, allows_any

    return allows_any(user, Action.BLAST_RADIUS, AuditEvent)


@login_required
def index(request):
    services.guard(request.user)
    return _page(request)


@login_required
def pull(request):
    user = request.user
    services.guard(user)
    if request.method != "POST":
        return redirect("incident:index")
    form = PullForm(user, request.POST, kind=request.POST.get("kind"))
    kind = request.POST.get("kind")
    if not form.is_valid():
        return _page(request, {kind: form}, status=400)
    try:
        req = form.request()
        if not form.cleaned_data["confirm"]:
            effects = services.effects(user, req)
            return render(
                request,
                "incident/confirm.html",
                {
                    "effects": effects,
                    "summary": services.summary(req.kind, req.ward, req.role, req.account),
                    "form": form,
                    "hidden": {
                        "kind": req.kind,
                        "ward": form.cleaned_data["ward"],
                        "role": req.role,
                        "email": form.cleaned_data["email"],
                        "reason": req.reason,
                    },
                    "irreversible": req.kind == Kind.REVOKE_SESSIONS,
                },
            )
        switch = services.pull(user, req, confirmed=form.cleaned_data["confirm"])
    except ValidationError as exc:
        form.add_error(None, exc)
        return _page(request, {kind: form}, status=400)
    if switch.kind == Kind.REVOKE_SESSIONS:
        _keep_own_session(request, switch)
    messages.success(request, _("Switch pulled: %(what)s") % {"what": services.describe(switch)})
    return redirect("incident:index")


def _keep_own_session(request, switch) -> None:
    """The person who pulls a revocation stays signed in on this device (only here)."""
    user = request.user
    if switch.target_user_id == user.pk:
        user.refresh_from_db(fields=["session_epoch"])
        update_session_auth_hash(request, user)
    guard.mark_seen(request, switch.pk)


@login_required
@require_POST
def release(request, pk: int):
    user = request.user
    services.guard(user)
    form = ReleaseForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Say why the switch is released."))
        switch = services.release(user, pk, form.cleaned_data["reason"])
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("incident:index")
    messages.success(request, _("Switch released: %(what)s") % {"what": services.describe(switch)})
    return redirect("incident:index")


@login_required
def blast(request):
    user = request.user
    blast_service.guard(user)
    form = BlastForm(request.GET or None)
    result, status = None, 200
    if form.is_bound:
        if form.is_valid():
            data = form.cleaned_data
            try:
                account = blast_service.account_id(data["account"])
                result = blast_service.radius(user, account, data["date_from"], data["date_to"])
            except ValidationError as exc:
                form.add_error(None, exc)
        if form.errors:
            status = 400
    return render(
        request,
        "incident/blast.html",
        {"form": form, "result": result, "ward": ward_of(user)},
        status=status,
    )


@login_required
def blast_export(request):
    user = request.user
    if request.method != "POST":
        return post_only(request)
    blast_service.guard(user, export=True)
    form = BlastForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            account = blast_service.account_id(data["account"])
            blast_service.bounds(data["date_from"], data["date_to"])
        except ValidationError as exc:
            form.add_error(None, exc)
    if form.errors:
        return render(request, "incident/blast.html", {"form": form}, status=400)
    back = (
        reverse("incident:blast")
        + "?"
        + urlencode({name: form.data.get(name, "") for name in form.fields})
    )
    return deliver(
        request,
        lambda request_id: blast_service.export(
            user, account, data["date_from"], data["date_to"], request_id=request_id
        ),
        back=back,
    )
