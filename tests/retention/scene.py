"""A ward with records of every age: an old family whose records have all expired, a recent
one, and an old one under a legal hold. Used by the purge, report and command tests."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.utils import timezone

from tests import factories as f
from tsuen.accounts.models import Role
from tsuen.attendance.models import Attendance, DailyRecord
from tsuen.billing.models import Claim, ClaimLine, ClaimStatus
from tsuen.certification.models import Application, ApplicationStatus, CertificationStatus
from tsuen.families.models import FeeClass, GrowthRecord, HouseholdFeeClass
from tsuen.files import blobs
from tsuen.files.models import Purpose, ScanStatus, StoredFile

#: "Today" of the tests: FY2026; payment-linked records closed by 31 March 2021 have expired.
TODAY = dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.UTC)
PDF = b"%PDF-1.4\n% evidence\n"


def moment(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def stored(account, household, purpose=Purpose.FEE_EVIDENCE, child=None, uploaded=None):
    data = PDF + str(household.pk).encode()
    file = StoredFile.objects.create(
        municipality_id=household.municipality_id, household=household, child=child,
        purpose=purpose, original_name="証明.pdf", content_type="application/pdf",
        size=len(data), sha256=hashlib.sha256(data).hexdigest(),
        scan_status=ScanStatus.CLEAN, uploaded_by=account,
    )  # fmt: skip
    blobs.seal(file, data).save(force_insert=True)
    if uploaded:
        StoredFile.objects.filter(pk=file.pk).update(uploaded_at=uploaded)
    return file


def claim(facility, bookings, *, closed: dt.date, version=1, supersedes=None, status=None):
    """The facility's claim to the children's ward for the bookings' month, with a line per
    booking, made and submitted then and, unless ``status`` says otherwise, paid on ``closed``."""
    first = bookings[0]
    made = Claim.objects.create(
        facility=facility, paying_municipality=first.child.household.municipality,
        year=first.date.year, month=first.date.month, version=version, supersedes=supersedes,
    )  # fmt: skip
    for booking in bookings:
        ClaimLine.objects.create(
            claim=made, booking=booking, child=booking.child, date=booking.date,
            billable_minutes=120, age_class=1, base_amount=1600,
        )  # fmt: skip
    status = status or ClaimStatus.PAID
    paid = moment(closed) if status == ClaimStatus.PAID else None
    Claim.objects.filter(pk=made.pk).update(
        status=status, created_at=moment(closed), submitted_at=moment(closed), paid_at=paid
    )
    made.refresh_from_db()
    return made


def family_with_records(ward, facility, reviewer, *, ended: dt.date, name: str) -> dict:
    """A family whose child was certified until ``ended``, with a visit, its attendance and
    daily record, a growth record, a fee class, a rejected application with its evidence and
    a doctor's certificate, all closed around ``ended``."""
    account, household, child = f.family(ward, given_name=name)
    start = dt.date(ended.year - 1, ended.month, 1)
    # Registered when the story starts (auto_now_add would say "today").
    type(household).objects.filter(pk=household.pk).update(created_at=moment(start))
    type(child).objects.filter(pk=child.pk).update(created_at=moment(start))
    application = Application.objects.create(
        municipality=ward, household=household, applicant=account,
        status=ApplicationStatus.CERTIFIED, declared_fee_class=FeeClass.NONE,
        submitted_at=moment(start), decided_at=moment(start),
    )  # fmt: skip
    cert = f.certification(
        child, reviewer, valid_from=start, valid_to=ended, application=application,
        status=CertificationStatus.ENDED, ended_on=ended,
    )  # fmt: skip
    evidence = stored(account, household, uploaded=moment(start))
    rejected = Application.objects.create(
        municipality=ward, household=household, applicant=account,
        status=ApplicationStatus.REJECTED, declared_fee_class=FeeClass.NONE,
        submitted_at=moment(start), decided_at=moment(start), fee_evidence=evidence,
    )  # fmt: skip
    Application.objects.filter(pk=rejected.pk).update(updated_at=moment(start))
    visit = start + dt.timedelta(days=14)
    booking = f.booking(child, f.place_slot(facility, visit), account)
    staff = f.user(Role.FACILITY_STAFF, facility=facility)
    Attendance.objects.create(
        booking=booking, status="present", recorded_by=staff,
        checked_in_at=booking.starts_at, checked_out_at=booking.ends_at,
    )  # fmt: skip
    DailyRecord.objects.create(booking=booking, written_by=staff, meals="完食")
    paid = claim(facility, [booking], closed=visit + dt.timedelta(days=30))
    GrowthRecord.objects.create(child=child, measured_on=visit, height_cm=80, weight_kg=10)
    fee = HouseholdFeeClass.objects.create(
        household=household, fee_class=FeeClass.NONE, valid_from=start, valid_to=ended
    )
    certificate = stored(
        account, household, Purpose.DOCTOR_CERTIFICATE, child=child, uploaded=moment(start)
    )
    return {
        "account": account, "household": household, "child": child, "cert": cert,
        "application": application, "rejected": rejected, "evidence": evidence,
        "booking": booking, "fee": fee, "certificate": certificate, "claim": paid,
    }  # fmt: skip


def ward_scene() -> dict:
    ward = f.municipality(name="保存区")
    other = f.municipality(name="他区")
    facility = f.facility(ward)
    admin = f.user(Role.MUNICIPAL_ADMIN, municipality=ward, full_name="管理 一郎")
    second = f.user(Role.MUNICIPAL_ADMIN, municipality=ward, full_name="承認 花子")
    reviewer = f.user(Role.MUNICIPAL_REVIEWER, municipality=ward)
    return {
        "ward": ward,
        "other_ward": other,
        "facility": facility,
        "admin": admin,
        "second": second,
        "reviewer": reviewer,
        "auditor": f.user(Role.AUDITOR, municipality=ward),
        "other_admin": f.user(Role.MUNICIPAL_ADMIN, municipality=other),
        "old": family_with_records(ward, facility, reviewer, ended=dt.date(2021, 3, 31), name="古"),
        "recent": family_with_records(
            ward, facility, reviewer, ended=dt.date(2026, 3, 31), name="新"
        ),
        "held": family_with_records(
            ward, facility, reviewer, ended=dt.date(2020, 9, 30), name="保"
        ),
    }


def with_held_household(world: dict) -> dict:
    """The scene with its "held" family's household under a legal hold (set on TODAY)."""
    from tsuen.core import clock
    from tsuen.retention import services

    with clock.frozen(TODAY):
        services.set_hold(world["admin"], "household", world["held"]["household"].pk, "訴訟対応")
    return world


def exists(model, obj) -> bool:
    """Whether the row is still there (whatever its manager's scope)."""
    return model._base_manager.filter(pk=obj.pk).exists()
