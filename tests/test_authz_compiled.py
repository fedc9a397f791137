"""authz.policy.AllowedQuery: an authorized read compiled once per kind of user answers exactly
the rows of ``filter_allowed`` for every role, falls back to the ORM where it could not be sure
(a rule that reads the clock, a ward's tenant scope), and compiles only rules that are the same
at every moment."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.utils import timezone

from tests import factories as f
from tsuen.accounts.models import Role
from tsuen.authz.policy import (
    CLOCK_FREE_RULES,
    PUBLIC_RULES,
    Action,
    AllowedQuery,
    allows_any,
    filter_allowed,
    paths_for,
)
from tsuen.core import clock, tenancy
from tsuen.facilities.models import PlaceSlot
from tsuen.families.models import Child, ProxyGrant

pytestmark = pytest.mark.django_db

CHILDREN = AllowedQuery(
    Action.BOOKING_CREATE,
    Child,
    lambda: Child.objects.select_related("household").order_by("birth_date", "pk"),
)
CHILD_VIEW = AllowedQuery(Action.CHILD_VIEW, Child, lambda: Child.objects.order_by("pk"))
SLOT = AllowedQuery(
    Action.FACILITY_VIEW,
    PlaceSlot,
    lambda pk: PlaceSlot.objects.select_related("facility").filter(pk=pk),
    pk="int",
)


@pytest.fixture
def world():
    """Two wards; in the first, a family of two children (one guardian, one live proxy, one
    revoked proxy), another family, a facility with a slot and a booking (the facility's staff
    then see the child), and a user of every role."""
    muni, other = f.municipality(), f.municipality()
    guardian, household, child = f.family(muni, birth_date=dt.date(2024, 5, 1))
    sibling = f.child(household, birth_date=dt.date(2025, 1, 10))
    _stranger, _hh, stranger_child = f.family(other)
    proxy, revoked = f.user(Role.PROXY), f.user(Role.PROXY)
    ProxyGrant.objects.create(household=household, user=proxy, granted_by=guardian)
    ProxyGrant.objects.create(
        household=household, user=revoked, granted_by=guardian, revoked_at=timezone.now()
    )
    facility = f.facility(muni)
    reviewer = f.user(Role.MUNICIPAL_REVIEWER, municipality=muni)
    today = clock.today()
    f.certification(
        child,
        reviewer,
        valid_from=today - dt.timedelta(days=30),
        valid_to=today + dt.timedelta(days=300),
    )
    slot = f.place_slot(facility, today + dt.timedelta(days=3))
    f.booking(child, slot, reviewer)
    users = {
        "guardian": guardian,
        "proxy": proxy,
        "revoked proxy": revoked,
        "other guardian": _stranger,
        "facility staff": f.user(Role.FACILITY_STAFF, facility=facility),
        "reviewer": reviewer,
        "other ward admin": f.user(Role.MUNICIPAL_ADMIN, municipality=other),
        "operator": f.user(Role.NATIONAL_OPERATOR),
        "anonymous": AnonymousUser(),
    }
    return users, (child, sibling, stranger_child), slot


def _same(query: AllowedQuery, user, **values):
    expected = list(filter_allowed(user, query.action, query._build(**values)))
    got = query.objects(user, **values)
    assert [o.pk for o in got] == [o.pk for o in expected]
    for mine, theirs in zip(got, expected, strict=True):
        assert mine.__dict__.keys() >= {k for k in theirs.__dict__ if not k.startswith("_")}
        assert {k: v for k, v in mine.__dict__.items() if not k.startswith("_")} == {
            k: v for k, v in theirs.__dict__.items() if not k.startswith("_")
        }
    assert query.applies(user) == allows_any(user, query.action, query.model)
    return got


def test_the_same_rows_as_the_orm_for_every_kind_of_user(world):
    users, (child, sibling, stranger_child), slot = world
    with tenancy.cross_tenant("test: as a family's request"):
        for name, user in users.items():
            children = _same(CHILDREN, user)
            _same(SLOT, user, pk=slot.pk)
            _same(SLOT, user, pk=-1)
            _same(CHILD_VIEW, user)
            if name in ("guardian", "proxy"):
                assert {c.pk for c in children} == {child.pk, sibling.pk}
                # The related household came with them, as select_related brings it.
                assert all("household" in c._state.fields_cache for c in children)
            elif name == "other guardian":
                assert [c.pk for c in children] == [stranger_child.pk]
            else:
                assert children == []


def test_each_user_binds_their_own_id(world):
    """One compiled statement for every guardian: the second guardian's call gets theirs."""
    users, (child, _sibling, stranger_child), _slot = world
    with tenancy.cross_tenant("test: as a family's request"):
        assert child.pk in {c.pk for c in CHILDREN.objects(users["guardian"])}
        assert [c.pk for c in CHILDREN.objects(users["other guardian"])] == [stranger_child.pk]
        assert CHILDREN.objects(users["revoked proxy"]) == []


def test_a_rule_that_reads_the_clock_is_not_compiled(world):
    """Facility staff see a child through a live relationship (bookings of the last 30 days):
    that rule reads the clock, so CHILD_VIEW for staff runs through the ORM, right at every
    moment."""
    users, (child, _sibling, _other), _slot = world
    staff = users["facility staff"]
    applies, compiled = CHILD_VIEW._for(staff)
    assert applies and compiled is None
    with tenancy.cross_tenant("test: as a facility's request"):
        assert [c.pk for c in CHILD_VIEW.objects(staff)] == [child.pk]
        with clock.frozen(timezone.now() + dt.timedelta(days=400)):
            assert CHILD_VIEW.objects(staff) == []


def test_a_ward_scope_falls_back_to_the_orm(world):
    """Under a ward's tenant scope the manager's condition names the ward: not compiled."""
    users, _children, slot = world
    reviewer = users["reviewer"]
    with tenancy.tenant(reviewer.municipality_id):
        _same(SLOT, reviewer, pk=slot.pk)
    with tenancy.tenant(users["other ward admin"].municipality_id):
        assert SLOT.objects(users["other ward admin"], pk=slot.pk) == []


@pytest.mark.parametrize("rule", sorted(CLOCK_FREE_RULES, key=lambda r: r.__name__))
def test_clock_free_rules_are_the_same_at_every_moment(world, rule):
    """A rule may be compiled only if its condition does not change with the moment: built at
    two moments a year apart, for users of every role, the SQL and its values are equal."""
    users, _children, _slot = world
    with tenancy.cross_tenant("test: rule conditions"):
        for user in users.values():
            if not user.is_authenticated and rule not in PUBLIC_RULES:
                continue  # the layer asks an anonymous visitor the public rules only
            for model in (Child, PlaceSlot):
                built = []
                for moment in (timezone.now(), timezone.now() + dt.timedelta(days=400)):
                    with clock.frozen(moment):
                        q = rule(user, paths_for(model))
                        if q is None:
                            built.append(None)
                            continue
                        query = model.objects.filter(q).query
                        built.append(query.get_compiler(connection=connection).as_sql())
                assert built[0] == built[1], (rule.__name__, user, model)
