"""The scheduled purge for the ``django.tasks`` database backend: executes every ward's purge
run that a second administrator has approved (never one that is only asked for)."""

from __future__ import annotations

from django.tasks import task


@task()
def execute_approved_purges() -> list[int]:
    """Execute each approved run; return the ids of the runs executed."""
    from tsuen.core import tenancy
    from tsuen.retention import services
    from tsuen.retention.models import PurgeRun, RunStatus

    done = []
    with tenancy.cross_tenant("scheduled purge: each ward's approved run"):
        wards = PurgeRun.unscoped.filter(status=RunStatus.APPROVED).values_list(
            "municipality", flat=True
        )
        from tsuen.municipalities.models import Municipality

        for ward in Municipality.objects.filter(pk__in=list(wards)):
            done.append(services.execute_approved(ward).pk)
    return done
