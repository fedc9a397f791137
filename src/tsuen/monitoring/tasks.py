"""Background job of the anomaly rules, for the ``django.tasks`` database backend."""

from __future__ import annotations

import datetime as dt

from django.tasks import task

from tsuen.monitoring.detect import default_days, detect


@task()
def detect_anomalies_task(day: str = "") -> int:
    """Run the anomaly rules over ``day`` (YYYY-MM-DD), or yesterday and today so far; the
    number of new anomalies (enqueue it from a scheduler, like ``manage.py detect_anomalies``)."""
    days = [dt.date.fromisoformat(day)] if day else default_days()
    return sum(detect(d).total_new for d in days)
