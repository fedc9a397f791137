"""The rules of the authorization layer, one behaviour per test; the route-level view of the same
rules is in test_authz_matrix.py."""

import datetime as dt

import pytest
from django.http import Http404
from django.utils import timezone

from tests import factories as f
from tsuen.accounts.models import Role
from tsuen.authz.policy import POLICY, Action, allows, filter_allowed, get_or_404
from tsuen.core import clock
from tsuen.facilities.models import InterviewStatus
from tsuen.families.models import Child, ProxyGrant

pytestmark = pytest.mark.django_db


@pytest.fixture
def ward():
    """A family whose child holds an active certification (a facility's access needs one)."""
    muni = f.municipality()
    guardian, household, child = f.family(muni)
    today = clock.today()
    f.certification(
        child,
        f.user(Role.MUNICIPAL_REVIEWER, municipality=muni),
        valid_from=today - dt.timedelta(days=60),
        valid_to=today + dt.timedelta(days=300),
    )
    return muni, guardian, household, child


def test_every_action_has_at_least_one_rule():
    assert set(POLICY) == set(Action)
    assert all(POLICY[a] for a in Action)


def test_guardian_sees_own_child_only(ward):
    muni, guardian, _, child = ward
    _, _, stranger = f.family(muni)
    assert allows(guardian, Action.CHILD_VIEW, child)
    assert not allows(guardian, Action.CHILD_VIEW, stranger)
    assert list(filter_allowed(guardian, Action.CHILD_LIST, Child.objects.all())) == [child]


def test_proxy_reaches_the_household_until_the_grant_is_revoked(ward):
    _, guardian, household, child = ward
    proxy = f.user(Role.PROXY)
    grant = ProxyGrant.objects.create(household=household, user=proxy, granted_by=guardian)
    assert allows(proxy, Action.CHILD_VIEW, child)
    grant.revoked_at = timezone.now()
    grant.save()
    assert not allows(proxy, Action.CHILD_VIEW, child)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (InterviewStatus.REQUESTED, True),
        (InterviewStatus.ACCEPTED, True),
        (InterviewStatus.DECLINED, False),
        (InterviewStatus.CANCELLED, False),
    ],
)
def test_facility_sees_child_only_through_a_relationship(ward, status, expected):
    muni, guardian, _, child = ward
    facility = f.facility(muni)
    staff = f.user(Role.FACILITY_STAFF, facility=facility)
    assert not allows(staff, Action.CHILD_VIEW, child)
    f.interview(child, facility, guardian, status=status)
    assert allows(staff, Action.CHILD_VIEW, child) is expected


def test_a_booking_is_a_relationship_even_across_wards(ward):
    _, guardian, _, child = ward
    elsewhere = f.facility(f.municipality())
    staff = f.user(Role.FACILITY_MANAGER, facility=elsewhere)
    f.booking(child, f.place_slot(elsewhere, clock.today() + dt.timedelta(days=1)), guardian)
    assert allows(staff, Action.CHILD_VIEW, child)


def test_facility_never_sees_household_fee_class(ward):
    muni, guardian, household, child = ward
    facility = f.facility(muni)
    f.interview(child, facility, guardian)
    staff = f.user(Role.FACILITY_MANAGER, facility=facility)
    assert allows(staff, Action.CHILD_VIEW, child)
    assert not allows(staff, Action.HOUSEHOLD_FEE_CLASS_VIEW, household)
    reviewer = f.user(Role.MUNICIPAL_REVIEWER, municipality=muni)
    assert allows(reviewer, Action.HOUSEHOLD_FEE_CLASS_VIEW, household)


def test_municipal_staff_are_bound_to_their_ward(ward):
    muni, _, _, child = ward
    other = f.municipality()
    assert allows(f.user(Role.MUNICIPAL_REVIEWER, municipality=muni), Action.CHILD_VIEW, child)
    assert not allows(f.user(Role.MUNICIPAL_REVIEWER, municipality=other), Action.CHILD_VIEW, child)


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.NATIONAL_OPERATOR])
def test_auditor_and_national_operator_never_reach_a_child(ward, role):
    muni, _, _, child = ward
    kw = {"municipality": muni} if role == Role.AUDITOR else {}
    user = f.user(role, **kw)
    for action in (Action.CHILD_VIEW, Action.CHILD_LIST, Action.CERTIFICATION_VIEW):
        assert not allows(user, action, child)
    assert not allows(user, Action.HOUSEHOLD_FEE_CLASS_VIEW, child.household)
    assert not filter_allowed(user, Action.CHILD_LIST, Child.objects.all()).exists()


def test_out_of_reach_is_404_not_403(ward):
    _muni, _, _, child = ward
    outsider = f.user(Role.GUARDIAN)
    with pytest.raises(Http404):
        get_or_404(outsider, Action.CHILD_VIEW, Child.objects.all(), pk=child.pk)
    with pytest.raises(Http404):  # and a missing object looks the same
        get_or_404(outsider, Action.CHILD_VIEW, Child.objects.all(), pk=child.pk + 1000)


def test_outreach_lists_are_for_the_wards_case_workers_only():
    """Issue 5 item 8: the dashboard's person lists; never the auditor, another ward or a
    facility."""
    from tsuen.authz.policy import condition

    ward, other = f.municipality(), f.municipality()
    _, _, child = f.family(ward)
    for role in (Role.MUNICIPAL_REVIEWER, Role.MUNICIPAL_PAYMENTS, Role.MUNICIPAL_ADMIN):
        assert allows(f.user(role, municipality=ward), Action.OUTREACH_VIEW, child)
        assert not allows(f.user(role, municipality=other), Action.OUTREACH_VIEW, child)
    auditor = f.user(Role.AUDITOR, municipality=ward)
    assert condition(auditor, Action.OUTREACH_VIEW, Child) is None
    assert allows(auditor, Action.MUNICIPALITY_STATS_VIEW, ward)
    facility = f.facility(ward)
    staff = f.user(Role.FACILITY_MANAGER, facility=facility)
    assert not allows(staff, Action.OUTREACH_VIEW, child)


def test_a_request_builds_each_condition_once_and_still_sees_relationships_change(ward):
    """Within one request (``conditions_remembered``, opened by the middleware) a condition is
    built once per user, action and model; the relationships it tests are read when the query
    runs, so a grant revoked mid-request closes at once; a change of role builds it again."""
    from tsuen.authz.policy import condition, conditions_remembered

    _muni, guardian, household, child = ward
    proxy = f.user(Role.PROXY)
    grant = ProxyGrant.unscoped.create(household=household, user=proxy, granted_by=guardian)
    assert condition(guardian, Action.CHILD_VIEW, Child) is not condition(
        guardian, Action.CHILD_VIEW, Child
    )  # outside a request: built each time
    with conditions_remembered():
        first = condition(proxy, Action.CHILD_VIEW, Child)
        assert condition(proxy, Action.CHILD_VIEW, Child) is first
        assert condition(proxy, Action.CHILD_EDIT, Child) is not first
        assert list(filter_allowed(proxy, Action.CHILD_VIEW, Child.unscoped.all())) == [child]
        grant.revoked_at = timezone.now()
        grant.save()
        assert list(filter_allowed(proxy, Action.CHILD_VIEW, Child.unscoped.all())) == []
        proxy.role = Role.MUNICIPAL_REVIEWER  # another key: built again (and none applies)
        assert condition(proxy, Action.CHILD_VIEW, Child) is None
