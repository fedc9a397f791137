"""The shared world: ward A with a family, a facility related to the child and one that is not,
ward B with a family of its own, and one account per actor."""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil

from tests import factories as f
from tsuen.accounts.models import Role
from tsuen.families.models import ProxyGrant

#: A page that shows one of these children's given names must have left an audit event.
PEOPLE = ("own_child", "other_child")


def row_modules():
    import tests.matrix as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("rows_"):
            yield importlib.import_module(f"tests.matrix.{info.name}")


def build_world() -> dict:
    a, b = f.municipality(name="甲区"), f.municipality(name="乙区")
    guardian, household, own_child = f.family(a, given_name="一花", given_name_kana="イチカ")
    other_guardian, other_household, other_child = f.family(
        b, family_name="試用", given_name="蒼", given_name_kana="アオイ"
    )
    related, unrelated = f.facility(a), f.facility(a)
    booking = f.booking(own_child, f.place_slot(related, dt.date(2026, 12, 1)), guardian)
    proxy = f.user(Role.PROXY)
    ProxyGrant.objects.create(household=household, user=proxy, granted_by=guardian)
    users = {
        "guardian": guardian,
        "proxy": proxy,
        "facility_staff": f.user(Role.FACILITY_STAFF, facility=related),
        "facility_manager": f.user(Role.FACILITY_MANAGER, facility=related),
        "unrelated_facility_staff": f.user(Role.FACILITY_STAFF, facility=unrelated),
        "municipal_reviewer": f.user(Role.MUNICIPAL_REVIEWER, municipality=a),
        "municipal_payments": f.user(Role.MUNICIPAL_PAYMENTS, municipality=a),
        "municipal_admin": f.user(Role.MUNICIPAL_ADMIN, municipality=a),
        "auditor": f.user(Role.AUDITOR, municipality=a),
        "national_operator": f.user(Role.NATIONAL_OPERATOR),
        "other_ward_reviewer": f.user(Role.MUNICIPAL_REVIEWER, municipality=b),
    }
    for account in users.values():
        if account.needs_second_factor:
            f.second_factor(account)
    world = {
        "users": users,
        "ward": a,
        "other_ward": b,
        "household": household,
        "own_child": own_child,
        "other_household": other_household,
        "other_guardian": other_guardian,
        "other_child": other_child,
        "related_facility": related,
        "unrelated_facility": unrelated,
        "booking": booking,
    }
    for module in row_modules():
        if hasattr(module, "extend"):
            module.extend(world)
    return world
