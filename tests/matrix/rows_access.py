"""Issue 9 item 7: access that ends.

A facility reads a child's care records only while its relationship with the child is live (a
confirmed visit from ``RELATIONSHIP_DAYS`` ago onwards, or a first interview asked for or
accepted within that window) and the child's certification is active. The payments officer of
the ward never reads care records. The rows reuse existing routes with children of their own:

* ``lapsed_child``: certified, last visit at the related facility well outside the window;
* ``ended_child``: visited the related facility yesterday, but its certification has ended;
* ``interview_child``: certified, a first interview at the related facility asked for today.
"""

from __future__ import annotations

import datetime as dt

from tests import factories as f
from tests.matrix.base import CARE_DESK, LOGIN, RELATED_FACILITY, Row, arg, ok
from tsuen.authz.policy import RELATIONSHIP_DAYS
from tsuen.certification.models import CertificationStatus, EndReason
from tsuen.core import clock
from tsuen.facilities.models import InterviewStatus


def _certify(world, child, **kw):
    today = clock.today()
    values = {
        "valid_from": today - dt.timedelta(days=200),
        "valid_to": today + dt.timedelta(days=200),
    }
    return f.certification(child, world["users"]["municipal_reviewer"], **(values | kw))


def _visit(world, child, guardian, day):
    slot = f.place_slot(world["related_facility"], day, age_class=2)
    return f.booking(child, slot, guardian, start=dt.time(14), end=dt.time(15))


def extend(world):
    ward, today = world["ward"], clock.today()

    guardian, _household, lapsed = f.family(ward, given_name="遥", given_name_kana="ハルカ")
    _certify(world, lapsed)
    _visit(world, lapsed, guardian, today - dt.timedelta(days=RELATIONSHIP_DAYS + 30))
    world["lapsed_child"] = lapsed

    guardian, _household, ended = f.family(ward, given_name="湊", given_name_kana="ミナト")
    _certify(
        world,
        ended,
        valid_to=today - dt.timedelta(days=2),
        status=CertificationStatus.ENDED,
        ended_on=today - dt.timedelta(days=2),
        end_reason=EndReason.MOVED_OUT,
    )
    _visit(world, ended, guardian, today - dt.timedelta(days=1))
    world["ended_child"] = ended

    guardian, _household, asked = f.family(ward, given_name="陽葵", given_name_kana="ヒマリ")
    _certify(world, asked)
    f.interview(asked, world["related_facility"], guardian, status=InterviewStatus.REQUESTED)
    world["interview_child"] = asked


ROWS = {
    # The relationship has lapsed (no visit in the window): the facility no longer reads the
    # profile; the ward's care desk still does, the payments officer never.
    "families:child@lapsed": Row(
        404, {"anonymous": LOGIN} | ok(*CARE_DESK), args=arg("lapsed_child")
    ),
    # The certification has ended: no facility reads the profile, even a day after a visit.
    "families:child@certification_ended": Row(
        404, {"anonymous": LOGIN} | ok(*CARE_DESK), args=arg("ended_child")
    ),
    # A first interview asked for today opens the profile to the facility asked.
    "families:child@interview_only": Row(
        404,
        {"anonymous": LOGIN} | ok(*RELATED_FACILITY, *CARE_DESK),
        args=arg("interview_child"),
    ),
    # The payments officer reads what paying needs: the certificates and fee classes of a
    # child of the ward, whatever the child's visits.
    "certification:staff_fee_class@lapsed": Row(
        404,
        {"anonymous": LOGIN} | ok(*CARE_DESK, "municipal_payments"),
        args=arg("lapsed_child"),
    ),
}
