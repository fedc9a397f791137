"""Issue 13: migration certification/0003 starts the change log with every certification held
(``certified``, and ``status`` when it has ended), so a ward system's first sync reads them all."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests import factories as f
from tsuen.accounts.models import Role
from tsuen.certification.models import CertificationChange, CertificationStatus

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("certification", "0002_application_entries_and_evidence")]
AFTER = [("certification", "0003_change_log")]


def test_the_log_starts_with_every_certification_held():
    ward = f.municipality()
    staff = f.user(Role.MUNICIPAL_REVIEWER, municipality=ward)
    hh = f.household(ward)
    active = f.certification(f.child(hh), staff)
    ended = f.certification(
        f.child(hh), staff, status=CertificationStatus.ENDED, ended_on=dt.date(2025, 3, 31)
    )
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        MigrationExecutor(connection).migrate(BEFORE)
        MigrationExecutor(connection).migrate(AFTER)
    finally:
        MigrationExecutor(connection).migrate(leaves)
    assert list(
        CertificationChange.objects.order_by("pk").values_list(
            "certification_id", "kind", "municipality_id"
        )
    ) == [
        (active.pk, "certified", ward.pk),
        (ended.pk, "certified", ward.pk),
        (ended.pk, "status", ward.pk),
    ]
