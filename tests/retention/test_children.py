"""Issue 12 item 1: the care fields on a child's row (``care_record``: allergies, meals,
illnesses, vaccinations, development notes, who picks the child up) are erased 12 months after
the child's eligibility ended while the household stays (a younger sibling still in care); the
identity fields stay with the household; the disability and medical-care flags, which price the
adders of the child's visits on a claim, only once no booking of the child is left. A held
child, household or facility keeps them; a second run changes nothing; the report counts them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from tests import factories as f
from tests.retention import scene as s
from tests.retention.test_report import pdf_text
from tsuen.audit.models import AuditEvent
from tsuen.certification.models import CertificationStatus
from tsuen.core import clock
from tsuen.families.models import Child
from tsuen.retention import services
from tsuen.retention.models import LegalHold
from tsuen.retention.report import MODEL_NAMES

pytestmark = pytest.mark.django_db

#: 1 April 2027: the recent family's child's eligibility ended 12 months before (31 March
#: 2026); its household stays (its certification and visit are payment-linked, kept 5 years).
LATER = dt.datetime(2027, 4, 1, 10, tzinfo=dt.UTC)
CARE = {
    "allergies": ["卵"],
    "meal_requirements": "豚肉を除く",
    "illnesses": ["気管支喘息"],
    "vaccinations": ["BCG"],
    "development_notes": "ことばの発達を見守り中",
    "pickup_persons": [{"name": "祖母", "relation": "祖母"}],
    "disability": True,
    "medical_care": True,
}
LABEL = "families.Child.care"


def care(child) -> dict:
    now = Child.objects.get(pk=child.pk)
    return {name: getattr(now, name) for name in CARE}


def give_care(child) -> None:
    Child.objects.filter(pk=child.pk).update(**CARE)


def sibling_family(w, ended: dt.date, name: str) -> dict:
    """A household whose older child's eligibility ended on ``ended`` (never visited) while a
    younger sibling is certified until 2028."""
    account, household, older = f.family(w["ward"], given_name=name)
    younger = f.child(household, given_name="妹", birth_date=dt.date(2025, 6, 1))
    f.certification(
        older, w["reviewer"], valid_from=dt.date(2024, 4, 1), valid_to=ended,
        status=CertificationStatus.ENDED, ended_on=ended,
    )  # fmt: skip
    f.certification(
        younger, w["reviewer"], valid_from=dt.date(2026, 4, 1), valid_to=dt.date(2028, 3, 31)
    )
    for child in (older, younger):
        give_care(child)
    return {"account": account, "household": household, "older": older, "younger": younger}


@pytest.fixture
def w():
    world = s.ward_scene()
    # Ended 31 March 2025: 12 months before 3 December 2026.
    world["siblings"] = sibling_family(world, dt.date(2025, 3, 31), "姉")
    world["held_child"] = sibling_family(world, dt.date(2025, 3, 31), "保")
    world["at_held"] = sibling_family(world, dt.date(2025, 3, 31), "施")
    # Ended 30 June 2026: less than 12 months before.
    world["recent_end"] = sibling_family(world, dt.date(2026, 6, 30), "近")
    for key in ("old", "recent", "held"):
        give_care(world[key]["child"])
    held_facility = f.facility(world["ward"])
    f.booking(
        world["at_held"]["older"],
        f.place_slot(held_facility, dt.date(2024, 6, 3)),
        world["at_held"]["account"],
    )
    with clock.frozen(s.TODAY):
        services.set_hold(world["admin"], "household", world["held"]["household"].pk, "訴訟対応")
        services.set_hold(world["admin"], "child", world["held_child"]["older"].pk, "開示請求")
        services.set_hold(world["admin"], "facility", held_facility.pk, "監査対応")
    return world


def execute(w):
    run = services.request_run(w["admin"])
    services.approve_run(w["second"], run.pk)
    return services.execute_run(w["second"], run.pk)


def test_a_child_whose_eligibility_ended_loses_the_care_fields_while_the_household_stays(
    w, tmp_path
):
    older = w["siblings"]["older"]
    with clock.frozen(s.TODAY):
        planned = services.dry_run(w["ward"])["care_records"]
        assert care(older) == CARE  # the dry run erased nothing
        run = execute(w)
        again = execute(w)
    # The sibling family's older child only: the old family's child went with its household,
    # the others are held, at a held facility, or ended less than 12 months ago.
    assert planned[LABEL] == run.deleted["care_records"][LABEL] == 1
    assert care(older) == {
        "allergies": None, "meal_requirements": None, "illnesses": None, "vaccinations": None,
        "development_notes": None, "pickup_persons": [],
        "disability": False, "medical_care": False,  # no booking of the child is left
    }  # fmt: skip
    kept = Child.objects.get(pk=older.pk)  # identity stays with the household
    assert (kept.family_name, kept.given_name, kept.birth_date) == ("試験", "姉", older.birth_date)
    assert not Child.objects.filter(pk=w["old"]["child"].pk).exists()
    for child in (
        w["siblings"]["younger"],
        w["held_child"]["older"],
        w["at_held"]["older"],
        w["recent_end"]["older"],
        w["held"]["child"],
        w["recent"]["child"],
    ):
        assert care(child) == CARE, child.given_name
    # A second run finds nothing more to erase.
    assert LABEL not in again.deleted["care_records"]
    events = AuditEvent.objects.filter(
        action="purge", object_type="families.child", object_id=str(older.pk)
    )
    assert events.count() == 1
    assert set(events.get().field_names) == set(CARE)
    assert older.pk in events.get().subject_child_ids
    # The deletion report counts the child under the care records.
    flat = "".join(pdf_text(run.report_pdf, tmp_path).split())
    with translation.override("ja"):
        name = "".join(str(MODEL_NAMES[LABEL]).split())
    assert f"{name}:1" in flat


def test_the_flags_stay_while_a_visit_of_the_child_is_kept(w):
    child = w["recent"]["child"]
    with clock.frozen(LATER):
        run = execute(w)
    assert run.deleted["care_records"][LABEL] >= 1
    now = care(child)
    assert (now["disability"], now["medical_care"]) == (True, True)  # the visit is kept
    assert now["allergies"] is None and now["development_notes"] is None
    assert now["pickup_persons"] == []
    event = AuditEvent.objects.get(
        action="purge", object_type="families.child", object_id=str(child.pk)
    )
    assert set(event.field_names) == set(CARE) - {"disability", "medical_care"}
    # The released hold no longer keeps the held child's fields.
    hold = w["held_child"]["older"]
    with clock.frozen(LATER):
        services.release_hold(w["admin"], LegalHold.objects.get(child=hold).pk, "開示完了")
        execute(w)
    assert care(hold)["allergies"] is None
