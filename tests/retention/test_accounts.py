"""Issue 12 item 1, the ``account`` rule: a staff account deactivated more than the period ago
(12 months by default), and a family's accounts when their household is purged, are
anonymised -- no email, name, password, last sign-in, second factor or verified address left,
no sign-in possible -- while the row stays, so that the records and the audit events naming
the account still resolve. Unexpired, active and held ones are kept; a second run changes
nothing. Time travel with ``clock.frozen``."""

from __future__ import annotations

import datetime as dt

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth import authenticate
from django.test import RequestFactory

from tests import factories as f
from tests.retention import scene as s
from tsuen.accounts.models import Role, User
from tsuen.audit import record
from tsuen.audit.models import AuditEvent
from tsuen.core import clock
from tsuen.facilities import services_staff as facility_staff
from tsuen.municipalities import services_staff as ward_staff
from tsuen.retention import services

pytestmark = pytest.mark.django_db

#: Deactivated on 1 December 2025 (JST): more than 12 months before 3 December 2026.
LONG_AGO = dt.datetime(2025, 12, 1, 1, tzinfo=dt.UTC)
#: Deactivated on 1 June 2026: less than 12 months before.
RECENTLY = dt.datetime(2026, 6, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def w():
    world = s.ward_scene()
    ward, facility = world["ward"], world["facility"]
    manager = f.user(Role.FACILITY_MANAGER, facility=facility)
    held_facility = f.facility(ward)
    world |= {
        "leaver": f.user(Role.MUNICIPAL_REVIEWER, municipality=ward, full_name="退職 太郎"),
        "new_leaver": f.user(Role.MUNICIPAL_PAYMENTS, municipality=ward),
        "staying": f.user(Role.MUNICIPAL_REVIEWER, municipality=ward),
        "manager": manager,
        "carer": f.user(Role.FACILITY_STAFF, facility=facility, full_name="保育 次郎"),
        "held_carer": f.user(Role.FACILITY_STAFF, facility=held_facility),
        "held_manager": f.user(Role.FACILITY_MANAGER, facility=held_facility),
        "held_facility": held_facility,
        "outsider": f.user(Role.MUNICIPAL_REVIEWER, municipality=world["other_ward"]),
    }
    for key in ("leaver", "carer"):
        f.second_factor(world[key])
        EmailAddress.objects.create(
            user=world[key], email=world[key].email, verified=True, primary=True
        )
    with clock.frozen(LONG_AGO):
        ward_staff.set_active(world["admin"], world["leaver"].pk, False)
        facility_staff.set_active(manager, world["carer"].pk, False)
        facility_staff.set_active(world["held_manager"], world["held_carer"].pk, False)
        # The leaver's work is in the audit trail under their id.
        record("update", world["old"]["household"], ["postal_code"])
    with clock.frozen(RECENTLY):
        ward_staff.set_active(world["admin"], world["new_leaver"].pk, False)
    # Deactivated long ago without going through the services: no audit event says when.
    User.objects.filter(pk=world["outsider"].pk).update(is_active=False)
    with clock.frozen(s.TODAY):
        services.set_hold(world["admin"], "facility", held_facility.pk, "監査対応")
        services.set_hold(world["admin"], "household", world["held"]["household"].pk, "訴訟")
    return world


def fresh(account) -> User:
    return User.objects.get(pk=account.pk)


def execute(w):
    run = services.request_run(w["admin"])
    services.approve_run(w["second"], run.pk)
    return services.execute_run(w["second"], run.pk)


def signs_in(email: str):
    return authenticate(RequestFactory().post("/accounts/login/"), email=email, password=f.PASSWORD)


def assert_anonymised(account):
    now = fresh(account)
    assert now.email == f"closed-{account.pk}@closed.invalid"
    assert now.full_name == "" and now.last_login is None
    assert not now.has_usable_password() and not now.is_active
    assert now.role == account.role  # the audit trail still resolves the actor's role
    # Even reactivated by mistake, no one can sign in with it.
    User.objects.filter(pk=account.pk).update(is_active=True)
    for email in (account.email, now.email):
        assert signs_in(email) is None
    assert not EmailAddress.objects.filter(user=account).exists()
    assert not Authenticator.objects.filter(user=account).exists()


def test_accounts_closed_longer_than_the_period_are_anonymised(w):
    with clock.frozen(s.TODAY):
        planned = services.dry_run(w["ward"])
        assert fresh(w["leaver"]).email == w["leaver"].email  # the dry run changed nothing
        run = execute(w)
    assert planned["accounts"] == run.deleted["accounts"]
    # The leaver, the facility's carer and the old family's guardian (with its household).
    assert run.deleted["accounts"] == {
        "accounts.User": 3,
        "account.EmailAddress": 2,
        "mfa.Authenticator": 2,
    }
    for key in ("leaver", "carer"):
        assert_anonymised(w[key])
    assert_anonymised(w["old"]["account"])
    assert signs_in(w["staying"].email) == w["staying"]
    # Deactivated 6 months ago, still active, at a held facility, deactivated with no
    # recorded day, or another ward's: kept as they were.
    for key in ("new_leaver", "staying", "held_carer", "outsider", "admin"):
        assert fresh(w[key]).email == w[key].email, key
    assert fresh(w["recent"]["account"]).email == w["recent"]["account"].email
    # Each anonymised account is a purge event in the ward's chain naming the erased fields;
    # what the leaver did stays under their id.
    event = AuditEvent.objects.get(
        action="purge", object_type="accounts.user", object_id=str(w["carer"].pk)
    )
    assert event.municipality_id == w["ward"].pk
    assert set(event.field_names) == {"email", "full_name", "password", "last_login"}
    assert AuditEvent.objects.filter(object_id=str(w["leaver"].pk), action="update").exists()


def test_a_second_run_changes_nothing_and_the_period_counts_from_the_deactivation(w):
    with clock.frozen(s.TODAY):
        execute(w)
        again = execute(w)
    assert again.deleted["accounts"] == {}
    with clock.frozen(dt.datetime(2027, 6, 1, 10, tzinfo=dt.UTC)):  # 12 months after 1 June
        assert services.dry_run(w["ward"])["accounts"] == {}
    with clock.frozen(dt.datetime(2027, 6, 2, 10, tzinfo=dt.UTC)):
        run = execute(w)
    assert run.deleted["accounts"] == {"accounts.User": 1}
    assert_anonymised(w["new_leaver"])


def test_a_reactivated_account_is_kept_and_a_longer_period_keeps_more(w):
    with clock.frozen(RECENTLY):
        ward_staff.set_active(w["admin"], w["leaver"].pk, True)
    # The old family's guardian last signed in 18 months before.
    old = w["old"]["account"]
    User.objects.filter(pk=old.pk).update(last_login=s.moment(dt.date(2025, 6, 1)))
    with clock.frozen(s.TODAY):
        services.set_periods(w["admin"], {"accounts": 24})
        run = execute(w)
    assert run.deleted["accounts"] == {}
    # The household waits with its guardian's account: it goes when both periods are over.
    assert run.deleted["households"] == {}
    for account in (w["leaver"], w["carer"], old):
        assert fresh(account).email == account.email
    assert fresh(w["leaver"]).is_active
