"""A bookable scene: a ward with its policy, a certified family whose child passed the first
interview at a facility, and a place slot. Each test changes one thing and sees one refusal."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from tests import factories as f
from tsuen import rules
from tsuen.accounts.models import Role, User
from tsuen.booking.models import Booking
from tsuen.facilities.models import Facility, PlaceSlot
from tsuen.families.models import Child, Household
from tsuen.municipalities.models import Municipality, MunicipalPolicy

#: The frozen "now" of most tests: Tuesday 1 December 2026, 10:00 in Tokyo.
NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=timezone.get_fixed_timezone(9 * 60))
DAY = dt.date(2026, 12, 10)


def set_policy(muni: Municipality, policy: rules.Policy | None = None, fy: int = 2026):
    policy = policy or rules.national_default_policy(fy)
    MunicipalPolicy.unscoped.filter(municipality=muni, fiscal_year=policy.fiscal_year).delete()
    row = MunicipalPolicy.from_rules(muni, policy, rules.fiscal_year_bounds(policy.fiscal_year)[0])
    row.save()
    return row


def birth_for(day: dt.date, months: int = 20) -> dt.date:
    """A birth date that makes the child ``months`` months old around ``day``."""
    return day - dt.timedelta(days=months * 30)


def class_of(birth: dt.date, day: dt.date) -> int:
    return rules.age_class(birth, rules.fiscal_year_of(day))


@dataclass
class Family:
    user: User
    household: Household
    child: Child


def family(muni: Municipality, facility: Facility, day: dt.date, *, staff: User, **child_kw):
    """A guardian account and a child certified around ``day`` with an accepted interview."""
    child_kw.setdefault("birth_date", birth_for(day))
    user, household, child = f.family(muni, **child_kw)
    f.certification(
        child,
        staff,
        valid_from=day - dt.timedelta(days=200),
        valid_to=day + dt.timedelta(days=200),
    )
    f.interview(child, facility, user)
    return Family(user, household, child)


def sibling(fam: Family, facility: Facility, day: dt.date, *, staff: User, **child_kw) -> Child:
    child_kw.setdefault("given_name", "次郎")
    kid = f.child(fam.household, **child_kw)
    f.certification(
        kid, staff, valid_from=day - dt.timedelta(days=200), valid_to=day + dt.timedelta(days=200)
    )
    f.interview(kid, facility, fam.user)
    return kid


@dataclass
class Scene:
    muni: Municipality
    staff: User
    facility: Facility
    fam: Family
    slot: PlaceSlot
    day: dt.date

    @property
    def user(self):
        return self.fam.user

    @property
    def child(self):
        return self.fam.child

    def another_family(self, **child_kw) -> Family:
        return family(self.muni, self.facility, self.day, staff=self.staff, **child_kw)

    def fill(self, slot: PlaceSlot | None = None, n: int | None = None) -> list[Booking]:
        """Book the slot's places (or ``n`` of them) for other families."""
        slot = slot or self.slot
        n = slot.capacity if n is None else n
        return [f.booking(self.another_family().child, slot, self.user) for _ in range(n)]


def scene(day: dt.date = DAY, capacity: int = 3, policy: rules.Policy | None = None) -> Scene:
    muni = f.municipality()
    set_policy(muni, policy, rules.fiscal_year_of(day))
    staff = f.user(Role.MUNICIPAL_REVIEWER, municipality=muni)
    facility = f.facility(muni)
    fam = family(muni, facility, day, staff=staff)
    slot = f.place_slot(
        facility, day, age_class=class_of(fam.child.birth_date, day), capacity=capacity
    )
    return Scene(muni, staff, facility, fam, slot, day)
