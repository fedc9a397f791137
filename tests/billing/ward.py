"""A claim received by the ward: two visits of a certified child, generated and submitted."""

from __future__ import annotations

import datetime as dt

from tests import factories as f
from tests.billing import scene as s
from tsuen.accounts.models import Role
from tsuen.billing import services
from tsuen.core import clock


def payments_officer(ward, role=Role.MUNICIPAL_PAYMENTS):
    user = f.user(role, municipality=ward)
    f.second_factor(user)
    return user


def submitted_claim(ward=None, visits=(dt.date(2026, 11, 5), dt.date(2026, 11, 12))):
    """(claim, manager, child): the facility's November claim, submitted to ``ward``."""
    ward = ward or s.ward()
    facility = f.facility(ward, name="ひかり保育園", fee_per_hour=300)
    manager = s.manager_of(facility)
    _, _household, child = f.family(ward, given_name="請求", given_name_kana="セイキュウ")
    f.certification(child, manager, valid_from=dt.date(2026, 4, 1), valid_to=dt.date(2027, 3, 31))
    for day in visits:
        s.visit(child, facility, day, dt.time(10), dt.time(12))
    with clock.frozen(s.NOW):
        [claim] = services.generate_claims(manager, 2026, 11)
        services.submit_claim(
            manager, claim.pk, confirm_token=services.submit_effects(manager, claim.pk).token
        )
    claim.refresh_from_db()
    return claim, manager, child
