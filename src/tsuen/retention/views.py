"""The ward's retention screen (issue 12 items 1-2). Thin: parse with the forms, call
``services``, render. Who may act is decided by the service (404 out of reach); bad input and
refused steps answer 400 on the same page with the reason, nothing written."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tsuen.audit import Action as AuditAction
from tsuen.audit import record_many
from tsuen.authz.policy import Action, allows_any
from tsuen.core.pdf import pdf_response
from tsuen.retention import services
from tsuen.retention.forms import HoldForm, ReleaseForm, ScheduleForm
from tsuen.retention.models import PurgeRun, RunStatus


def _page(request, *, status=200, schedule=None, hold=None, error=None, dry_run=None):
    """The ward administrator's full page, or the auditor's list of runs."""
    runs = list(services.runs_for(request.user))  # 404 for anyone else
    context = {"runs": runs, "error": error, "dry_run": dry_run}
    if allows_any(request.user, Action.RETENTION_MANAGE, PurgeRun):
        ward = services.ward_of(request.user)
        periods = services.periods_of(ward)
        holds = list(services.holds(request.user))
        record_many(AuditAction.LIST, holds, ["household", "child", "facility", "reason"])
        context |= {
            "manage": True,
            "ward": ward,
            "schedule_form": schedule or ScheduleForm(periods=periods),
            "schedule_rows": [
                (services.label(c), services.period_text(c, p)) for c, p in periods.items()
            ],
            "hold_form": hold or HoldForm(),
            "release_form": ReleaseForm(),
            "holds": holds,
            "open_run": next(
                (r for r in runs if r.status in (RunStatus.REQUESTED, RunStatus.APPROVED)), None
            ),
        }
    for run in runs:
        run.planned_rows = _rows(run.planned)
        run.deleted_rows = _rows(run.deleted) if run.status == RunStatus.EXECUTED else []
    return render(request, "retention/index.html", context, status=status)


def _rows(counts: dict) -> list[tuple[str, int]]:
    from tsuen.retention.purge import ORDER

    return [(services.label(c), sum(counts.get(c.value, {}).values())) for c in ORDER]


@login_required
@require_GET
def index(request):
    dry_run = None
    if request.GET.get("dry_run") == "1" and allows_any(
        request.user, Action.RETENTION_MANAGE, PurgeRun
    ):
        dry_run = _rows(services.dry_run(services.ward_of(request.user)))
    return _page(request, dry_run=dry_run)


@login_required
@require_POST
def schedule(request):
    ward = services.ward_of(request.user)
    form = ScheduleForm(request.POST, periods=services.periods_of(ward))
    if form.is_valid():
        try:
            changed = services.set_periods(request.user, form.cleaned_data)
        except services.RetentionRefused as refused:
            form.add_error(None, refused)
        else:
            messages.success(
                request,
                _("The retention schedule has been saved.")
                if changed
                else _("Nothing had changed: the schedule is as it was."),
            )
            return redirect("retention:index")
    return _page(request, status=400, schedule=form)


@login_required
@require_POST
def hold_set(request):
    services.ward_of(request.user)
    form = HoldForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.set_hold(request.user, data["kind"], data["target"], data["reason"])
        except services.RetentionRefused as refused:
            form.add_error(None, refused)
        else:
            messages.success(request, _("The legal hold has been set."))
            return redirect("retention:index")
    return _page(request, status=400, hold=form)


@login_required
@require_POST
def hold_release(request, hold_id: int):
    form = ReleaseForm(request.POST)
    reason = form.data.get("reason", "") if not form.is_valid() else form.cleaned_data["reason"]
    return _act(
        request,
        lambda: services.release_hold(request.user, hold_id, reason),
        _("The legal hold has been released."),
    )


def _act(request, act, done: str):
    try:
        act()
    except services.RetentionRefused as refused:
        return _page(request, status=400, error=" ".join(refused.messages))
    messages.success(request, done)
    return redirect("retention:index")


@login_required
@require_POST
def run_request(request):
    return _act(
        request,
        lambda: services.request_run(request.user),
        _("The purge run has been asked for. A second administrator must approve it."),
    )


@login_required
@require_POST
def run_approve(request, run_id: int):
    return _act(
        request,
        lambda: services.approve_run(request.user, run_id),
        _("The purge run has been approved. It can now be executed."),
    )


@login_required
@require_POST
def run_execute(request, run_id: int):
    return _act(
        request,
        lambda: services.execute_run(request.user, run_id),
        _("The purge run has been executed. Its deletion report is below."),
    )


@login_required
@require_POST
def run_cancel(request, run_id: int):
    return _act(
        request,
        lambda: services.cancel_run(request.user, run_id),
        _("The purge run has been cancelled. Nothing was deleted."),
    )


@login_required
@require_GET
def report_download(request, run_id: int):
    run = services.report_of(request.user, run_id)
    name = f"deletion-report-{run.municipality.code}-{run.pk}.pdf"

    return pdf_response(name, bytes(run.report_pdf))
