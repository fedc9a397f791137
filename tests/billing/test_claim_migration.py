"""Issue 9 item 5: migration billing/0004 encrypts the claim amounts of existing rows (and can be
reversed), on both databases."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests import factories as f
from tests.billing import scene as s
from tsuen.billing.models import Claim, ClaimLine

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("billing", "0003_claim_query")]
AFTER = [("billing", "0004_encrypt_claim_amounts")]
CIPHERTEXT = re.compile(r"v\d+:[A-Za-z0-9+/]+=*")
SHARES = [{"payer": "national", "minutes": 90, "base": 2100, "adders": 5550, "first_visit": 0}]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _raw(table: str, columns: str, pk: int):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()


def test_existing_claim_amounts_are_encrypted_and_the_migration_reverses():
    ward = s.ward()
    facility = f.facility(ward, fee_per_hour=400)
    _, _, child = f.family(ward, birth_date=dt.date(2024, 2, 1))
    attendance = s.visit(child, facility, dt.date(2026, 11, 12), dt.time(10), dt.time(11, 30))
    leaf = MigrationExecutor(connection).loader.graph.leaf_nodes("billing")
    try:
        old = _migrate(BEFORE)
        claim = old.get_model("billing", "Claim").objects.create(
            facility_id=facility.pk,
            paying_municipality_id=ward.pk,
            year=2026,
            month=11,
            total_benefit=7650,
            total_reduction_reimbursed=450,
        )
        line = old.get_model("billing", "ClaimLine").objects.create(
            claim=claim,
            booking_id=attendance.booking_id,
            child_id=child.pk,
            date=dt.date(2026, 11, 12),
            billable_minutes=90,
            age_class=2,
            bucket_shares=SHARES,
            base_amount=2100,
            adders={"disability": 900, "medical_care": 3750, "support_needed_family": 900},
            reduction_reimbursed=450,
            total=8100,
            fee_gross=600,
            fee_net=150,
        )

        _migrate(AFTER)
        for value in _raw("billing_claim", "total_benefit, total_reduction_reimbursed", claim.pk):
            assert CIPHERTEXT.fullmatch(value)
        for value in _raw("billing_claimline", "bucket_shares, reduction_reimbursed", line.pk):
            assert CIPHERTEXT.fullmatch(value)
        migrated = ClaimLine.unscoped.get(pk=line.pk)
        assert migrated.bucket_shares == SHARES and migrated.reduction_reimbursed == 450
        assert (migrated.total, migrated.fee_net) == (8100, 150)
        stored = Claim.unscoped.get(pk=claim.pk)
        assert (stored.total_benefit, stored.total_reduction_reimbursed) == (7650, 450)

        _migrate(BEFORE)  # and back: clear columns again, the dropped ones recomputed
        assert _raw("billing_claim", "total_benefit, total_reduction_reimbursed", claim.pk) == (
            7650,
            450,
        )
        assert _raw("billing_claimline", "reduction_reimbursed, total, fee_net", line.pk) == (
            450,
            8100,
            150,
        )
    finally:
        _migrate(leaf)
