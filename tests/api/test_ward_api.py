"""Issue 13, the ward systems over HTTP: the certifications' change feed after a cursor, the
fee-class write-back (all or nothing, 422 with the rejected rows), the claims with their
payment status, the facility register; each as the client's system user, within its ward."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories as f
from tests.api.conftest import bearer, make_client
from tsuen.accounts.models import Role
from tsuen.audit.models import AuditEvent
from tsuen.billing.models import Claim, ClaimStatus
from tsuen.certification import changes, lifecycle
from tsuen.certification.models import ChangeKind
from tsuen.core import tenancy
from tsuen.families.models import FeeClass, HouseholdFeeClass

pytestmark = pytest.mark.django_db
D = dt.date
CHANGES = "/api/v1/ward/certifications/changes"
FEE_CLASSES = "/api/v1/ward/fee-classes"
CLAIMS = "/api/v1/ward/claims"
FACILITIES = "/api/v1/ward/facilities"
ALL = [
    "ward.certifications.read",
    "ward.fee_classes.write",
    "ward.claims.read",
    "ward.facilities.read",
]


@pytest.fixture
def ward_world(scene):
    """The scene's ward with two certified siblings, and another ward's certificate."""
    with tenancy.cross_tenant("test set-up"):
        reviewer = f.user(Role.MUNICIPAL_REVIEWER, municipality=scene.ward)
        hh = f.household(scene.ward)
        kid = f.child(hh, birth_date=D(2025, 4, 10))
        sib = f.child(hh, birth_date=D(2024, 6, 1))
        cert = f.certification(kid, reviewer, number="W-0001", valid_to=D(2028, 3, 31))
        sib_cert = f.certification(sib, reviewer, number="W-0002", valid_to=D(2028, 3, 31))
        other_hh = f.household(scene.other_ward)
        other_cert = f.certification(
            f.child(other_hh), scene.other_admin, number="W-0003", valid_to=D(2028, 3, 31)
        )
        changes.note([cert, sib_cert, other_cert], ChangeKind.CERTIFIED)
    return {"reviewer": reviewer, "hh": hh, "kid": kid, "cert": cert, "sib_cert": sib_cert}


def test_the_feed_follows_the_cursor(client, scene, ward_world):
    api_client, token = make_client(scene.admin, ["ward.certifications.read"])
    first = client.get(CHANGES, **bearer(token))
    assert first.status_code == 200, first.content
    body = first.json()
    assert [i["number"] for i in body["items"]] == ["W-0001", "W-0002"]  # never W-0003
    assert body["items"][0]["changes"] == ["certified"]
    assert body["items"][0]["status"] == "active" and body["items"][0]["fee_class"] is None
    assert body["has_more"] is False
    cursor = body["next_cursor"]
    again = client.get(CHANGES, {"cursor": cursor}, **bearer(token)).json()
    assert again["items"] == [] and again["has_more"] is False
    with tenancy.cross_tenant("test set-up"):
        lifecycle.set_fee_class(
            ward_world["reviewer"], ward_world["kid"].pk, FeeClass.TAX_EXEMPT, D(2026, 4, 1)
        )
    later = client.get(CHANGES, {"cursor": again["next_cursor"]}, **bearer(token)).json()
    assert [(i["number"], i["changes"], i["fee_class"]) for i in later["items"]] == [
        ("W-0001", ["fee_class"], "tax_exempt"),
        ("W-0002", ["fee_class"], "tax_exempt"),
    ]
    assert later["items"][0]["fee_classes"] == [
        {"fee_class": "tax_exempt", "valid_from": "2026-04-01", "valid_to": None}
    ]
    read = AuditEvent.objects.filter(
        action="read", object_type="certification.certification", actor_id=api_client.user_id
    )
    assert read.count() == 4


def test_the_feed_pages_with_limit(client, scene, ward_world):
    _, token = make_client(scene.admin, ["ward.certifications.read"])
    page = client.get(CHANGES, {"limit": 1}, **bearer(token)).json()
    assert [i["number"] for i in page["items"]] == ["W-0001"] and page["has_more"]
    page = client.get(CHANGES, {"limit": 1, "cursor": page["next_cursor"]}, **bearer(token))
    assert [i["number"] for i in page.json()["items"]] == ["W-0002"]


def test_a_forged_or_foreign_cursor_is_a_422_problem(client, scene, ward_world):
    _, token = make_client(scene.admin, ["ward.certifications.read"])
    _, theirs = make_client(scene.other_admin, ["ward.certifications.read"])
    foreign = client.get(CHANGES, **bearer(theirs)).json()["next_cursor"]
    for cursor in ("forged", foreign):
        response = client.get(CHANGES, {"cursor": cursor}, **bearer(token))
        assert response.status_code == 422
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["errors"][0]["field"] == "cursor"


def test_the_write_back_writes_all_rows(client, scene, ward_world):
    api_client, token = make_client(scene.admin, ["ward.fee_classes.write"])
    rows = [
        {
            "number": "W-0001",
            "fee_class": "tax_exempt",
            "valid_from": "2026-04-01",
            "valid_to": "2026-08-31",
        },
        {"number": "W-0001", "fee_class": "none", "valid_from": "2026-09-01"},
        {
            "number": "W-0002",
            "fee_class": "tax_exempt",
            "valid_from": "2026-04-01",
            "valid_to": "2026-08-31",
        },
    ]
    response = client.post(
        FEE_CLASSES, {"rows": rows}, content_type="application/json", **bearer(token)
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"rows": 3, "decisions": 2, "households": 1}
    with tenancy.cross_tenant("test"):
        assert list(
            HouseholdFeeClass.objects.filter(household=ward_world["hh"])
            .order_by("valid_from")
            .values_list("fee_class", "valid_to", "verified_by")
        ) == [
            ("tax_exempt", D(2026, 8, 31), api_client.user_id),
            ("none", None, api_client.user_id),
        ]
    assert AuditEvent.objects.filter(
        object_type="families.householdfeeclass", actor_id=api_client.user_id
    ).exists()


def test_one_bad_row_writes_nothing_and_is_reported(client, scene, ward_world):
    _, token = make_client(scene.admin, ["ward.fee_classes.write"])
    rows = [
        {"number": "W-0001", "fee_class": "tax_exempt", "valid_from": "2026-04-01"},
        {"number": "W-0003", "fee_class": "tax_exempt", "valid_from": "2026-04-01"},  # theirs
        {"number": "W-0002", "fee_class": "rich", "valid_from": "2026-04-01"},
        {"number": "W-0002", "fee_class": "none", "valid_from": "2026-13-01"},
    ]
    response = client.post(
        FEE_CLASSES,
        {"rows": rows},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
        **bearer(token),
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert [(r["row"], r["number"], r["code"]) for r in body["rejected"]] == [
        (2, "W-0003", "not_found"),
        (3, "W-0002", "fee_class"),
        (4, "W-0002", "date"),
    ]
    assert [e["field"] for e in body["errors"]] == ["rows.1", "rows.2", "rows.3"]
    assert "nothing was written" in body["detail"]
    with tenancy.cross_tenant("test"):
        assert not HouseholdFeeClass.objects.exists()


def test_a_stale_file_is_refused_with_if_unmodified_since(client, scene, ward_world):
    from django.utils.http import http_date

    from tsuen.core import clock

    _, token = make_client(scene.admin, ["ward.fee_classes.write"])
    read_at = clock.now() - dt.timedelta(hours=1)  # when the tax system read the classes
    with tenancy.cross_tenant("test set-up"):
        lifecycle.set_fee_class(
            ward_world["reviewer"], ward_world["kid"].pk, FeeClass.LOW_INCOME, D(2026, 4, 1)
        )
    rows = [{"number": "W-0002", "fee_class": "none", "valid_from": "2026-04-01"}]

    def post(since):
        return client.post(
            FEE_CLASSES,
            {"rows": rows},
            content_type="application/json",
            HTTP_IF_UNMODIFIED_SINCE=since,
            **bearer(token),
        )

    stale = post(http_date(read_at.timestamp()))
    assert stale.status_code == 422
    assert [r["code"] for r in stale.json()["rejected"]] == ["changed_since"]
    bad = post("yesterday")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "If-Unmodified-Since"
    with tenancy.cross_tenant("test"):
        assert HouseholdFeeClass.objects.get().fee_class == FeeClass.LOW_INCOME
    fresh = post(http_date((clock.now() + dt.timedelta(seconds=1)).timestamp()))
    assert fresh.status_code == 200, fresh.content
    with tenancy.cross_tenant("test"):
        assert HouseholdFeeClass.objects.get().fee_class == FeeClass.NONE


def test_claims_with_their_payment_status(client, scene, ward_world):
    with tenancy.cross_tenant("test set-up"):
        paid = Claim.objects.create(
            facility=scene.facility, paying_municipality=scene.ward, year=2026, month=10
        )
        Claim.objects.filter(pk=paid.pk).update(status=ClaimStatus.PAID)
        Claim.objects.create(
            facility=scene.facility, paying_municipality=scene.ward, year=2026, month=11
        )  # a draft: the facility's own
        theirs = Claim.objects.create(
            facility=scene.other_facility,
            paying_municipality=scene.other_ward,
            year=2026,
            month=10,
        )
        Claim.objects.filter(pk=theirs.pk).update(status=ClaimStatus.SUBMITTED)
    _, token = make_client(scene.admin, ["ward.claims.read"])
    body = client.get(CLAIMS, **bearer(token)).json()
    assert [(c["id"], c["status"]) for c in body["items"]] == [(paid.pk, "paid")]
    assert body["next_cursor"] is None
    assert client.get(CLAIMS, {"status": "submitted"}, **bearer(token)).json()["items"] == []
    assert client.get(CLAIMS, {"status": "draft"}, **bearer(token)).status_code == 422


def test_the_register_is_the_wards(client, scene, ward_world):
    _, token = make_client(scene.admin, ["ward.facilities.read"])
    body = client.get(FACILITIES, **bearer(token)).json()
    assert [i["id"] for i in body["items"]] == [scene.facility.pk]
    assert body["items"][0]["facility_number"] == scene.facility.facility_number


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("get", CHANGES, "ward.certifications.read"),
        ("post", FEE_CLASSES, "ward.fee_classes.write"),
        ("get", CLAIMS, "ward.claims.read"),
        ("get", FACILITIES, "ward.facilities.read"),
    ],
)
def test_each_operation_needs_its_scope_and_a_ward(client, scene, ward_world, method, path, scope):
    others = [s for s in ALL if s != scope]
    _, without = make_client(scene.admin, others)
    kw = {"content_type": "application/json", "data": {"rows": []}} if method == "post" else {}
    response = getattr(client, method)(path, **kw, **bearer(without))
    assert response.status_code == 403
    assert response.json()["type"].endswith("missing-scope")
    assert getattr(client, method)(path, **kw).status_code == 401
