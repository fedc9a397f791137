"""The ward's retention schedule, legal holds and purge runs (council checklist item 3).

Who may act is decided here through ``tsuen.authz`` (404 out of reach); every change is
audited. A purge run is asked for by one ward administrator (with the dry run's counts),
approved by a different one, then executed once -- from the screen or by the cron command --
and leaves a deletion report (消去報告書) whose SHA-256 enters the audit chain.
"""

from __future__ import annotations

import hashlib

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tsuen.audit import Action as AuditAction
from tsuen.audit import record, record_many
from tsuen.authz.policy import Action, filter_allowed, get_or_404, require
from tsuen.core import clock
from tsuen.municipalities.models import Municipality
from tsuen.retention import purge as purging
from tsuen.retention.models import (
    OPEN_STATUSES,
    HoldTarget,
    LegalHold,
    PurgeRun,
    RetentionRule,
    RunStatus,
)
from tsuen.retention.schedule import DEFAULTS, RecordClass, check_period


class RetentionRefused(ValidationError):
    """A change to the schedule, a hold or a run the service refuses, with the reason."""


# --- The schedule -----------------------------------------------------------------------------


def ward_of(user) -> Municipality:
    """The administrator's own ward (404 for anyone else)."""
    return get_or_404(
        user, Action.RETENTION_MANAGE, Municipality.objects.all(), pk=user.municipality_id
    )


def periods_of(municipality) -> dict[RecordClass, int]:
    """The ward's period per record class: its own where it set one, else the default."""
    own = dict(
        RetentionRule.unscoped.filter(municipality=municipality).values_list(
            "record_class", "period"
        )
    )
    return {c: own.get(c.value, DEFAULTS[c].period) for c in RecordClass}


def set_periods(user, periods: dict[str, int]) -> list[str]:
    """Save the ward's periods; return the record classes that changed (each audited)."""
    ward = ward_of(user)
    refusals = []
    for key, period in periods.items():
        record_class = RecordClass(key)
        problem = check_period(record_class, period)
        if problem == "too_short":
            refusals.append(
                _("%(class)s: a period may not be shorter than the default (%(default)s).")
                % {"class": label(record_class), "default": period_text(record_class)}
            )
        elif problem == "too_long":
            refusals.append(
                _("%(class)s: the period is longer than tsuen allows (%(maximum)s).")
                % {
                    "class": label(record_class),
                    "maximum": period_text(record_class, DEFAULTS[record_class].maximum),
                }
            )
    if refusals:
        raise RetentionRefused(refusals)
    current = periods_of(ward)
    changed = []
    with transaction.atomic():
        for key, period in periods.items():
            record_class = RecordClass(key)
            if current[record_class] == period:
                continue
            rule, _created = RetentionRule.unscoped.update_or_create(
                municipality=ward,
                record_class=record_class.value,
                defaults={"period": period, "updated_by": user, "updated_at": clock.now()},
            )
            record(AuditAction.UPDATE, rule, ["period"])
            changed.append(key)
    return changed


def label(record_class: RecordClass) -> str:
    from tsuen.retention.models import RECORD_CLASS_LABELS

    return str(RECORD_CLASS_LABELS[record_class])


def period_text(record_class: RecordClass, period: int | None = None) -> str:
    """ "5 years after the end of the fiscal year" / "12 months after ..." in the reader's words."""
    period = DEFAULTS[record_class].period if period is None else period
    return {
        RecordClass.CERTIFICATIONS: _("%(n)s years after the end of the fiscal year it ended"),
        RecordClass.APPLICATIONS: _("%(n)s years after the end of the fiscal year it closed"),
        RecordClass.BOOKINGS: _("%(n)s years after the end of the fiscal year of the visit"),
        RecordClass.FEE_CLASSES: _("%(n)s years after the end of the fiscal year it ended"),
        RecordClass.CARE_RECORDS: _("%(n)s months after the child's eligibility ended"),
        RecordClass.EVIDENCE_FILES: _("%(n)s months after the ward verified it"),
        RecordClass.CLAIMS: _(
            "%(n)s years after the end of the fiscal year of the correction chain's last step"
        ),
        RecordClass.ACCOUNTS: _(
            "%(n)s months after a staff account was deactivated; a family's account with its "
            "household"
        ),
        RecordClass.HOUSEHOLDS: _(
            "%(n)s months after the last record, the children's eligibility and the last sign-in"
        ),
    }[record_class] % {"n": period}


# --- Legal holds ------------------------------------------------------------------------------


def _hold_target(ward, kind: str, target_id: int):
    """The household, child or facility of the ward the hold is to be put on."""
    from tsuen.facilities.models import Facility
    from tsuen.families.models import Child, Household

    if kind == HoldTarget.HOUSEHOLD:
        found = Household.objects.filter(municipality=ward, pk=target_id).first()
    elif kind == HoldTarget.CHILD:
        found = Child.objects.filter(household__municipality=ward, pk=target_id).first()
    else:
        found = Facility.objects.filter(municipality=ward, pk=target_id).first()
    if found is None:
        raise RetentionRefused(
            _("No %(kind)s with number %(id)s in this ward.")
            % {"kind": HoldTarget(kind).label, "id": target_id}
        )
    return found


def set_hold(user, kind: str, target_id: int, reason: str) -> LegalHold:
    ward = ward_of(user)
    reason = reason.strip()
    if not reason:
        raise RetentionRefused(_("Give the reason for the hold."))
    with transaction.atomic():
        target = _hold_target(ward, kind, target_id)
        live = LegalHold.unscoped.filter(
            municipality=ward, released_at__isnull=True, **{kind: target}
        )
        if live.exists():
            raise RetentionRefused(_("This record is already under a legal hold."))
        hold = LegalHold.unscoped.create(
            municipality=ward,
            reason=reason,
            set_by=user,
            set_at=clock.now(),
            **{kind: target},
        )
        record(AuditAction.CREATE, hold, [kind, "reason"])
    return hold


def release_hold(user, hold_id: int, reason: str) -> LegalHold:
    reason = reason.strip()
    with transaction.atomic():
        hold = get_or_404(
            user, Action.RETENTION_MANAGE, LegalHold.objects.select_for_update(), pk=hold_id
        )
        if hold.released_at is not None:
            raise RetentionRefused(_("This hold was already released."))
        if not reason:
            raise RetentionRefused(_("Give the reason for releasing the hold."))
        hold.released_by, hold.released_at, hold.release_reason = user, clock.now(), reason
        hold.save(update_fields=["released_by", "released_at", "release_reason"])
        record(AuditAction.UPDATE, hold, ["released_at", "release_reason"])
    return hold


def holds(user):
    ward = ward_of(user)
    return (
        LegalHold.objects.filter(municipality=ward)
        .select_related("set_by", "released_by")
        .order_by("released_at", "-set_at")
    )


# --- Purge runs -------------------------------------------------------------------------------


def dry_run(municipality) -> dict[str, dict[str, int]]:
    return purging.dry_run(municipality, periods_of(municipality), clock.today()).as_json()


def request_run(user) -> PurgeRun:
    """Ask for a purge: the dry run's counts are kept with the request for the approver."""
    ward = ward_of(user)
    try:
        with transaction.atomic():
            run = PurgeRun.unscoped.create(
                municipality=ward,
                status=RunStatus.REQUESTED,
                requested_by=user,
                requested_at=clock.now(),
                planned=dry_run(ward),
            )
            record(AuditAction.CREATE, run, ["status", "planned"])
    except IntegrityError:
        raise RetentionRefused(
            _("A purge run is already waiting: approve, execute or cancel it first.")
        ) from None
    return run


def _open_run(user, run_id: int) -> PurgeRun:
    return get_or_404(
        user, Action.RETENTION_MANAGE, PurgeRun.objects.select_for_update(), pk=run_id
    )


def approve_run(user, run_id: int) -> PurgeRun:
    with transaction.atomic():
        run = _open_run(user, run_id)
        if run.status != RunStatus.REQUESTED:
            raise RetentionRefused(_("This run is not waiting for an approval."))
        if run.requested_by_id == user.pk:
            raise RetentionRefused(
                _("A second administrator must approve the run: you asked for it yourself.")
            )
        run.status, run.approved_by, run.approved_at = RunStatus.APPROVED, user, clock.now()
        run.save(update_fields=["status", "approved_by", "approved_at"])
        record(AuditAction.UPDATE, run, ["status", "approved_by"])
    return run


def cancel_run(user, run_id: int) -> PurgeRun:
    with transaction.atomic():
        run = _open_run(user, run_id)
        if run.status not in OPEN_STATUSES:
            raise RetentionRefused(_("Only a run not executed yet can be cancelled."))
        run.status, run.cancelled_by = RunStatus.CANCELLED, user
        run.save(update_fields=["status", "cancelled_by"])
        record(AuditAction.UPDATE, run, ["status", "cancelled_by"])
    return run


def execute_run(user, run_id: int) -> PurgeRun:
    """Execute an approved run from the screen (either administrator)."""
    with transaction.atomic():
        run = _open_run(user, run_id)
        return _execute(run, via="screen")


def execute_approved(municipality) -> PurgeRun:
    """The cron command's and the scheduled task's way: execute the ward's approved run;
    refused when there is none (the command never deletes without an approval)."""
    with transaction.atomic():
        run = (
            PurgeRun.unscoped.select_for_update()
            .filter(municipality=municipality, status=RunStatus.APPROVED)
            .first()
        )
        if run is None:
            raise RetentionRefused(
                _("No approved purge run for %(ward)s: nothing was deleted.")
                % {"ward": municipality.name}
            )
        return _execute(run, via="command")


def _execute(run: PurgeRun, *, via: str) -> PurgeRun:
    """Delete, write the report and audit it, all in the caller's transaction (the run row is
    locked): a failure leaves nothing deleted and the run approved."""
    from tsuen.retention.report import render_report

    if run.status == RunStatus.EXECUTED:
        raise RetentionRefused(_("This run was already executed."))
    if run.status != RunStatus.APPROVED:
        raise RetentionRefused(
            _("A run is executed only after a second administrator approved it.")
        )
    ward = run.municipality
    periods = periods_of(ward)
    today = clock.today()
    run.started_at = clock.now()

    def audit(rows, fields=(), municipality_id=None):
        if municipality_id is None:
            record_many(AuditAction.PURGE, rows, fields)
        else:  # rows with no ward of their own (accounts): in this ward's chain
            for row in rows:
                record(AuditAction.PURGE, row, fields, municipality_id=municipality_id)

    outcome = purging.purge(ward, periods, today, audit=audit)
    run.finished_at = clock.now()
    run.status, run.executed_via = RunStatus.EXECUTED, via
    run.deleted = outcome.as_json()
    run.rules = purging.rules_applied(periods, today)
    run.report_pdf = render_report(run)
    run.report_sha256 = hashlib.sha256(run.report_pdf).hexdigest()
    run.save()
    record(
        AuditAction.PURGE,
        run,
        ["status", "deleted", "report_pdf"],
        document_sha256=run.report_sha256,
    )
    return run


def runs_for(user):
    """The ward's runs, for its administrator and its auditor (404 for anyone else)."""
    require(user, Action.DELETION_REPORT_VIEW, PurgeRun)
    return filter_allowed(user, Action.DELETION_REPORT_VIEW, PurgeRun.objects.all()).select_related(
        "requested_by", "approved_by"
    )


def report_of(user, run_id: int) -> PurgeRun:
    """An executed run's report for download (audited)."""
    run = get_or_404(
        user,
        Action.DELETION_REPORT_VIEW,
        PurgeRun.objects.filter(status=RunStatus.EXECUTED),
        pk=run_id,
    )
    record(AuditAction.DOWNLOAD, run, ["report_pdf"], document_sha256=run.report_sha256)
    return run
