"""Issue 12 item 6 (council checklist items 4 and 12): the blast-radius query finds exactly the
children one account's events touched in the period, with the source addresses, in the ward's
chain; on the screen for the ward's administrator and auditor, and as a protected CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
import pyzipper
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from tests import factories as f
from tests.exports.support import reauthenticate
from tests.matrix.world import build_world
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor
from tsuen.audit.actions import Action as Audit
from tsuen.audit.models import AuditEvent
from tsuen.audit.services import record
from tsuen.core import clock
from tsuen.core.context import Actor, acting_as
from tsuen.incident import blast

pytestmark = pytest.mark.django_db

JST = dt.timezone(dt.timedelta(hours=9))


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def at(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, tzinfo=JST)


def read_as(user, address: str, when: dt.datetime, *children) -> None:
    actor = Actor(user.pk, user.role, user.municipality_id, address)
    with clock.frozen(when), acting_as(actor):
        for child in children:
            record(Audit.READ, child)


@pytest.fixture
def seen():
    """Ward A's facility staff read three of the ward's children in November from two
    addresses, one before the period and one after it; another account read a fourth; ward B
    has a child read by the same account (another ward's chain)."""
    world = build_world()
    ward, staff = world["ward"], world["users"]["facility_staff"]
    kids = [world["own_child"]] + [f.family(ward, given_name=f"児{i}")[2] for i in range(4)]
    read_as(staff, "192.0.2.10", at(1), kids[0], kids[1])
    read_as(staff, "203.0.113.7", at(15, 23), kids[1], kids[2])
    read_as(staff, "192.0.2.10", at(20), kids[0])
    read_as(staff, "192.0.2.10", dt.datetime(2026, 10, 31, 23, 59, tzinfo=JST), kids[3])
    read_as(staff, "192.0.2.10", dt.datetime(2026, 12, 1, 0, 0, tzinfo=JST), kids[3])
    read_as(world["users"]["municipal_reviewer"], "192.0.2.99", at(10), kids[4])
    read_as(staff, "192.0.2.10", at(10), world["other_child"])
    return world, staff, kids


def test_the_query_finds_exactly_the_children_seen_and_from_where(seen):
    world, staff, kids = seen
    result = blast.radius(
        world["users"]["municipal_admin"], staff.pk, dt.date(2026, 11, 1), dt.date(2026, 11, 30)
    )
    assert [c.child_id for c in result.children] == sorted(k.pk for k in kids[:3])
    by_child = {c.child_id: c for c in result.children}
    assert by_child[kids[0].pk].addresses == {"192.0.2.10"}
    assert by_child[kids[0].pk].events == 2
    assert by_child[kids[1].pk].addresses == {"192.0.2.10", "203.0.113.7"}
    assert timezone.localtime(by_child[kids[2].pk].first) == at(15, 23)
    assert [a.address for a in result.addresses] == ["192.0.2.10", "203.0.113.7"]
    assert result.events == 5
    # The query is itself an audit event naming the children it found.
    assert AuditEvent.objects.filter(
        action="list", object_type="audit.auditchainhead", subject_child_ids__has_id=kids[2].pk
    ).exists()


def test_the_auditor_asks_on_the_screen_and_other_wards_do_not_see(seen):
    world, staff, kids = seen
    client = Client()
    login_with_second_factor(client, world["users"]["auditor"])
    query = {"account": staff.email, "date_from": "2026-11-01", "date_to": "2026-11-30"}
    page = client.get(reverse("incident:blast"), query)
    body = page.content.decode()
    assert page.status_code == 200
    shown = {int(n) for n in re.findall(r"<tr><td>(\d+)</td>", body)}
    assert shown == {k.pk for k in kids[:3]}
    assert "203.0.113.7" in body and world["own_child"].given_name not in body
    # Ward B's administrator asks about the same account: ward B's chain only.
    other_admin = f.user(Role.MUNICIPAL_ADMIN, municipality=world["other_ward"])
    f.second_factor(other_admin)
    other = Client()
    login_with_second_factor(other, other_admin)
    body = other.get(reverse("incident:blast"), query).content.decode()
    assert {int(n) for n in re.findall(r"<tr><td>(\d+)</td>", body)} == {world["other_child"].pk}


def test_bad_periods_are_refused_with_a_message(seen):
    world, staff, _ = seen
    client = Client()
    login_with_second_factor(client, world["users"]["municipal_admin"])
    backwards = {"account": staff.email, "date_from": "2026-11-30", "date_to": "2026-11-01"}
    response = client.get(reverse("incident:blast"), backwards)
    assert response.status_code == 400
    assert "ends before it starts" in response.content.decode()
    unknown = {"account": "nobody@example.jp", "date_from": "2026-11-01", "date_to": "2026-11-02"}
    assert client.get(reverse("incident:blast"), unknown).status_code == 400


def test_the_csv_comes_as_a_protected_export(seen):
    world, staff, kids = seen
    client = Client()
    admin = world["users"]["municipal_admin"]
    login_with_second_factor(client, admin)
    reauthenticate(client)
    response = client.post(
        reverse("incident:blast_export"),
        {
            "request_id": "blast-radius-request-0001",
            "account": str(staff.pk),
            "date_from": "2026-11-01",
            "date_to": "2026-11-30",
        },
    )
    assert response.status_code == 200
    password = re.search(r"[2-9A-Z]{5}(?:-[2-9A-Z]{5}){3}", response.content.decode()).group(0)
    from tsuen.exports.models import ProtectedExport

    export = ProtectedExport.objects.get(owner=admin)
    with pyzipper.AESZipFile(io.BytesIO(bytes(export.zip_data))) as archive:
        archive.setpassword(password.encode())
        [name] = archive.namelist()
        text = archive.read(name).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {(int(r["child_id"]), r["source_address"]) for r in rows} == {
        (kids[0].pk, "192.0.2.10"),
        (kids[1].pk, "192.0.2.10"),
        (kids[1].pk, "203.0.113.7"),
        (kids[2].pk, "203.0.113.7"),
    }
    assert AuditEvent.objects.filter(action="export", document_sha256=export.sha256).exists()
