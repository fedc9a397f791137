"""Who in a family is told about a child's visit or certification (one rule for the booking
cancellations, the reminders and the end of a certification)."""

import pytest

from tests import factories as f
from tsuen.accounts.models import Role
from tsuen.core import clock
from tsuen.families.models import ProxyGrant
from tsuen.families.services import family_accounts

pytestmark = pytest.mark.django_db


def test_active_guardians_and_the_proxy_who_booked_while_the_grant_lives():
    ward = f.municipality()
    mother, household, _child = f.family(ward)
    father = f.user(Role.GUARDIAN)
    f.guardian(household, father, given_name="健", relation="父", is_primary=False)
    grandma = f.user(Role.PROXY)
    grant = ProxyGrant.objects.create(household=household, user=grandma, granted_by=mother)
    stranger = f.user(Role.GUARDIAN)

    assert family_accounts(household.pk) == [mother, father]
    assert family_accounts(household.pk, booked_by=grandma) == [mother, father, grandma]
    assert family_accounts(household.pk, booked_by=stranger) == [mother, father]
    grant.revoked_at = clock.now()
    grant.save()
    father.is_active = False
    father.save()
    assert family_accounts(household.pk, booked_by=grandma) == [mother]


def test_the_fallback_when_no_guardian_has_an_account():
    ward = f.municipality()
    household = f.household(ward)
    applicant = f.user(Role.GUARDIAN)
    assert family_accounts(household.pk) == []
    assert family_accounts(household.pk, fallback=applicant) == [applicant]
