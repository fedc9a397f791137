"""Background jobs of the dashboard's figures, for the ``django.tasks`` database backend."""

from __future__ import annotations

from django.tasks import task

from tsuen.reports.figures import DEFAULT_BATCH_SIZE, fold


@task()
def fold_visit_figures_task(batch_size: int = DEFAULT_BATCH_SIZE) -> int:
    """Fold the visit changes into the summaries (enqueue it from a scheduler)."""
    return fold(batch_size=batch_size)
