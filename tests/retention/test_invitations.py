"""Issue 12 item 1, the ``account`` rule for invitations: a staff invitation (a ward's or a
facility's) and a proxy invitation hold the address they were sent to; once used, withdrawn or
expired more than the account period ago (12 months by default) they are deleted. Open and
recently ended ones are kept, so are those of a held facility or household; a second run
changes nothing; the report counts them under the accounts."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from django.utils import translation

from tests import factories as f
from tests.retention import scene as s
from tests.retention.test_report import pdf_text
from tsuen.accounts.models import Role, WardInvitation
from tsuen.audit.models import AuditEvent
from tsuen.core import clock
from tsuen.core.tokens import token_hash
from tsuen.facilities.models import StaffInvitation
from tsuen.families.models import ProxyInvitation
from tsuen.retention import services
from tsuen.retention.report import MODEL_NAMES

pytestmark = pytest.mark.django_db

#: More than 12 months before 3 December 2026 (the cutoff is 2 December 2025) ...
LONG_AGO = s.moment(dt.date(2025, 11, 1))
#: ... and less.
RECENTLY = s.moment(dt.date(2026, 6, 1))
#: Not over yet on 3 December 2026.
OPEN = s.moment(dt.date(2026, 12, 8))


def staff(model, inviter, *, expires, accepted=None, **organisation):
    return model.objects.create(
        email=f"{secrets.token_hex(4)}@example.jp", role=Role.FACILITY_STAFF,
        token_hash=token_hash(secrets.token_urlsafe(16)), invited_by=inviter,
        expires_at=expires, accepted_at=accepted, **organisation,
    )  # fmt: skip


def proxy(family, *, expires, accepted=None, revoked=None):
    return ProxyInvitation.objects.create(
        household=family["household"], email=f"{secrets.token_hex(4)}@example.jp",
        token_hash=token_hash(secrets.token_urlsafe(16)), invited_by=family["account"],
        expires_at=expires, accepted_at=accepted, revoked_at=revoked,
    )  # fmt: skip


@pytest.fixture
def w():
    world = s.ward_scene()
    ward, admin, facility = world["ward"], world["admin"], world["facility"]
    held_facility = f.facility(ward)
    other_admin = world["other_admin"]
    recent, held = world["recent"], world["held"]
    world["gone"] = [
        staff(WardInvitation, admin, expires=s.moment(dt.date(2025, 11, 8)), accepted=LONG_AGO,
              municipality=ward),
        staff(WardInvitation, admin, expires=LONG_AGO, municipality=ward),  # expired or withdrawn
        staff(StaffInvitation, admin, expires=LONG_AGO, facility=facility),
        proxy(recent, expires=s.moment(dt.date(2025, 11, 8)), revoked=LONG_AGO),
        proxy(recent, expires=s.moment(dt.date(2025, 11, 8)), accepted=LONG_AGO),
    ]  # fmt: skip
    world["kept"] = [
        staff(WardInvitation, admin, expires=OPEN, municipality=ward),
        staff(WardInvitation, admin, expires=RECENTLY, municipality=ward),
        staff(WardInvitation, admin, expires=OPEN, accepted=RECENTLY, municipality=ward),
        staff(StaffInvitation, admin, expires=LONG_AGO, facility=held_facility),
        staff(WardInvitation, other_admin, expires=LONG_AGO, municipality=world["other_ward"]),
        proxy(recent, expires=OPEN, revoked=RECENTLY),
        proxy(held, expires=LONG_AGO),
    ]
    # The old family's goes with its household (counted there).
    world["with_household"] = proxy(world["old"], expires=LONG_AGO)
    with clock.frozen(s.TODAY):
        services.set_hold(admin, "household", held["household"].pk, "訴訟対応")
        services.set_hold(admin, "facility", held_facility.pk, "監査対応")
    return world


def execute(w):
    run = services.request_run(w["admin"])
    services.approve_run(w["second"], run.pk)
    return services.execute_run(w["second"], run.pk)


def exists(invitation) -> bool:
    return type(invitation).unscoped.filter(pk=invitation.pk).exists()


def test_invitations_ended_longer_than_the_account_period_are_deleted(w, tmp_path):
    with clock.frozen(s.TODAY):
        planned = services.dry_run(w["ward"])["accounts"]
        assert all(exists(i) for i in w["gone"])  # the dry run deleted nothing
        run = execute(w)
        again = execute(w)
    counts = {
        "accounts.WardInvitation": 2,
        "facilities.StaffInvitation": 1,
        "families.ProxyInvitation": 2,
    }
    assert {k: planned[k] for k in counts} == counts
    assert {k: run.deleted["accounts"][k] for k in counts} == counts
    assert run.deleted["households"]["families.ProxyInvitation"] == 1
    assert not any(exists(i) for i in [*w["gone"], w["with_household"]])
    for invitation in w["kept"]:
        assert exists(invitation), invitation
    assert not set(counts) & set(again.deleted["accounts"])
    # Each deleted invitation is a purge event (never its address).
    for invitation in w["gone"]:
        assert AuditEvent.objects.filter(
            action="purge",
            object_type=invitation._meta.label_lower,
            object_id=str(invitation.pk),
        ).exists()
    # The report counts them under the accounts.
    flat = "".join(pdf_text(run.report_pdf, tmp_path).split())
    with translation.override("ja"):
        names = {k: "".join(str(MODEL_NAMES[k]).split()) for k in counts}
    for label, n in counts.items():
        assert f"{names[label]}:{n}" in flat


def test_a_longer_account_period_keeps_them(w):
    with clock.frozen(s.TODAY):
        services.set_periods(w["admin"], {"accounts": 24})
        run = execute(w)
    assert not {"accounts.WardInvitation", "facilities.StaffInvitation"} & set(
        run.deleted["accounts"]
    )
    assert all(exists(i) for i in w["gone"])
