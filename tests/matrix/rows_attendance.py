import datetime as dt
from decimal import Decimal

from django.utils import timezone

from tests import factories as f
from tests.matrix.base import FAMILY, LOGIN, RELATED_FACILITY, Row, arg, ok
from tsuen.attendance.models import DailyRecord, MorningNote, RecordStatus


def extend(world):
    guardian, child = world["users"]["guardian"], world["own_child"]
    staff = world["users"]["facility_staff"]
    MorningNote.objects.create(
        booking=world["booking"], health="元気です", temperature=Decimal("36.5"), pickup_person="母"
    )
    # Two past visits at the related facility: one with a published daily record, one draft.
    for key, day, status in (
        ("published_record_visit", dt.date(2026, 10, 7), RecordStatus.PUBLISHED),
        ("draft_record_visit", dt.date(2026, 10, 8), RecordStatus.DRAFT),
    ):
        slot = f.place_slot(world["related_facility"], day)
        booking = f.booking(child, slot, guardian, start=dt.time(13), end=dt.time(14))
        DailyRecord.objects.create(
            booking=booking,
            meals="完食",
            notes="積み木で遊びました。",
            status=status,
            written_by=staff,
            published_at=timezone.now() if status == RecordStatus.PUBLISHED else None,
        )
        world[key] = booking


ROWS = {
    # The family's visits with their notes and published records.
    "attendance:visits": Row(404, {"anonymous": LOGIN} | ok(*FAMILY)),
    # The morning note is the family's to write (the facility reads it through the service of
    # its day screen).
    "attendance:morning_note": Row(404, {"anonymous": LOGIN} | ok(*FAMILY), args=arg("booking")),
    # A published daily record: the family and the facility that wrote it.
    "attendance:daily_record@published": Row(
        404,
        {"anonymous": LOGIN} | ok(*FAMILY, *RELATED_FACILITY),
        args=arg("published_record_visit"),
    ),
    # A draft stays with the facility: 404 for the family.
    "attendance:daily_record@draft": Row(
        404, {"anonymous": LOGIN} | ok(*RELATED_FACILITY), args=arg("draft_record_visit")
    ),
}
