"""docs/api.md shows a ward system's nightly sync with curl; this test runs exactly those calls,
parsed from the document by the facility day's runner (tests/api/test_docs_curl.py), over real
HTTP against the live test server."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone
from django.utils.http import http_date

from tests import factories as f
from tests.api.conftest import Scene, make_client
from tests.api.test_docs_curl import curl_lines, run_curl
from tsuen.accounts.models import Role
from tsuen.audit.models import AuditEvent
from tsuen.billing.models import Claim, ClaimStatus
from tsuen.certification import changes, lifecycle
from tsuen.certification.models import ChangeKind
from tsuen.core import clock, tenancy
from tsuen.families.models import FeeClass, HouseholdFeeClass

pytestmark = pytest.mark.django_db(transaction=True)
D = dt.date


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())


def test_a_ward_systems_nightly_sync_exactly_as_documented(live_server):
    with clock.frozen(_at(D(2026, 11, 30), 10)), tenancy.cross_tenant("test set-up"):
        scene = Scene()
        reviewer = f.user(Role.MUNICIPAL_REVIEWER, municipality=scene.ward)
        hh = f.household(scene.ward)
        kid = f.child(hh, birth_date=D(2025, 4, 10))
        sib = f.child(hh, birth_date=D(2024, 6, 1))
        certs = [
            f.certification(
                child, reviewer, number=number, valid_from=D(2025, 10, 10), valid_to=D(2028, 3, 31)
            )
            for child, number in ((kid, "SJ2026-00001"), (sib, "SJ2026-00002"))
        ]
        changes.note(certs, ChangeKind.CERTIFIED)
        lifecycle.set_fee_class(reviewer, kid.pk, FeeClass.NONE, D(2025, 10, 10))
        claim = Claim.objects.create(
            facility=scene.facility, paying_municipality=scene.ward, year=2026, month=11
        )
        Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.PAID)
        api_client, token = make_client(
            scene.admin,
            ["ward.certifications.read", "ward.fee_classes.write", "ward.claims.read"],
        )
    lines = curl_lines("A ward system's nightly sync")
    assert len(lines) == 4
    env = {
        "TSUEN": live_server.url,
        "TOKEN": token,
        "CURSOR": "",  # the first night
        "READ_AT": http_date(_at(D(2026, 11, 30), 18).timestamp()),
    }
    answers = []
    with clock.frozen(_at(D(2026, 12, 1), 2), all_threads=True):
        for line in lines:
            status, _headers, body = run_curl(line, env)
            assert status == 200, (line, status, body.decode())
            answers.append(json.loads(body))
            if "next_cursor" in answers[-1] and "/certifications/changes" in line:
                env["CURSOR"] = answers[-1]["next_cursor"]
    first, written, claims, next_night = answers
    assert [(i["number"], i["changes"], i["fee_class"]) for i in first["items"]] == [
        ("SJ2026-00001", ["certified", "fee_class"], "none"),
        ("SJ2026-00002", ["certified", "fee_class"], "none"),
    ]
    assert first["has_more"] is False
    assert written == {"rows": 3, "decisions": 2, "households": 1}
    assert [(c["id"], c["status"]) for c in claims["items"]] == [(claim.pk, "paid")]
    assert [(i["number"], i["changes"], i["fee_class"]) for i in next_night["items"]] == [
        ("SJ2026-00001", ["fee_class"], "low_income"),
        ("SJ2026-00002", ["fee_class"], "low_income"),
    ]
    assert next_night["items"][0]["fee_classes"] == [
        {"fee_class": "none", "valid_from": "2025-10-10", "valid_to": "2026-03-31"},
        {"fee_class": "tax_exempt", "valid_from": "2026-04-01", "valid_to": "2026-08-31"},
        {"fee_class": "low_income", "valid_from": "2026-09-01", "valid_to": None},
    ]
    with tenancy.cross_tenant("test"):
        assert list(
            HouseholdFeeClass.objects.filter(household=hh)
            .order_by("valid_from")
            .values_list("fee_class", "verified_by")
        ) == [
            ("none", reviewer.pk),
            ("tax_exempt", api_client.user_id),
            ("low_income", api_client.user_id),
        ]
    assert AuditEvent.objects.filter(
        actor_id=api_client.user_id, object_type="certification.certification", action="read"
    ).exists()
