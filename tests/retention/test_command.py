"""Issue 12 item 1: the cron command and the scheduled task delete only through a run that a
second administrator approved; without one they refuse and delete nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from tests.retention import scene as s
from tsuen.certification.models import Certification
from tsuen.core import clock
from tsuen.retention import services, tasks
from tsuen.retention.models import PurgeRun, RunStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return s.ward_scene()


def cert_left(w) -> bool:
    return Certification.unscoped.filter(pk=w["old"]["cert"].pk).exists()


def test_the_command_refuses_without_an_approved_run(w):
    code = w["ward"].code
    with clock.frozen(s.TODAY):
        with pytest.raises(CommandError, match=code):
            call_command("purge_expired", "--municipality", code)
        services.request_run(w["admin"])  # asked for, not approved
        with pytest.raises(CommandError):
            call_command("purge_expired", "--municipality", code)
    assert cert_left(w)


def test_the_dry_run_lists_counts_and_deletes_nothing(w):
    out = io.StringIO()
    with clock.frozen(s.TODAY):
        call_command("purge_expired", "--municipality", w["ward"].code, "--dry-run", stdout=out)
    assert "certifications: 4" in out.getvalue()  # the old and the held family's (no hold)
    assert cert_left(w)


def test_the_command_executes_the_approved_run_once(w):
    out = io.StringIO()
    code = w["ward"].code
    with clock.frozen(s.TODAY):
        run = services.request_run(w["admin"])
        services.approve_run(w["second"], run.pk)
        call_command("purge_expired", "--municipality", code, stdout=out)
        with pytest.raises(CommandError):
            call_command("purge_expired", "--municipality", code)
    run.refresh_from_db()
    assert run.status == RunStatus.EXECUTED and run.executed_via == "command"
    assert run.report_sha256 in out.getvalue()
    assert not cert_left(w)


def test_the_task_executes_approved_runs_only(w):
    with clock.frozen(s.TODAY):
        run = services.request_run(w["admin"])
        assert tasks.execute_approved_purges.call() == []
        assert cert_left(w)
        services.approve_run(w["second"], run.pk)
        assert tasks.execute_approved_purges.call() == [run.pk]
    assert PurgeRun.objects.get(pk=run.pk).status == RunStatus.EXECUTED
    assert not cert_left(w)
