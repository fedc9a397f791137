"""Aggregate figures: counts only, never a person's data (safe for the auditor and the
national operator)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tsuen.authz.policy import Action, allows_any, filter_allowed, require
from tsuen.certification.models import (
    WAITING,
    Application,
    ApplicationStatus,
    Certification,
    CertificationStatus,
)
from tsuen.core import clock
from tsuen.facilities.models import Facility
from tsuen.municipalities.models import Municipality


def municipality_figures(user) -> dict[str, int]:
    require(user, Action.MUNICIPALITY_STATS_VIEW, Municipality)
    mid = user.municipality_id
    return {
        "applications_waiting": Application.objects.filter(
            municipality_id=mid, status__in=WAITING
        ).count(),
        "certified_children": Certification.objects.filter(
            municipality_id=mid, status=CertificationStatus.ACTIVE
        ).count(),
        "facilities": Facility.objects.filter(municipality_id=mid).count(),
    }


@dataclass(frozen=True)
class ChildCard:
    child: object
    certification: object | None
    upcoming: list


@dataclass(frozen=True)
class FamilyHome:
    children: list[ChildCard]
    open_applications: list


OPEN_APPLICATION = [
    ApplicationStatus.DRAFT,
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.CORRECTION_REQUESTED,
]


def family_home(user) -> FamilyHome:
    """The family's start page: each child with its certification and next visits, and the
    applications still open. A fixed number of queries, whatever the family's history."""
    from tsuen.audit import record_many
    from tsuen.booking.models import Booking, BookingStatus
    from tsuen.families.models import Child

    require(user, Action.CHILD_LIST, Child)
    children = list(
        filter_allowed(user, Action.CHILD_LIST, Child.objects.all()).order_by("birth_date", "pk")
    )
    ids = [c.pk for c in children]
    certs = {
        c.child_id: c
        for c in Certification.objects.filter(
            child_id__in=ids, status=CertificationStatus.ACTIVE
        ).order_by("valid_from")
    }
    upcoming: dict[int, list] = {i: [] for i in ids}
    bookings = list(
        filter_allowed(user, Action.BOOKING_VIEW, Booking.objects.all())
        .filter(child_id__in=ids, status=BookingStatus.CONFIRMED, ends_at__gte=clock.now())
        .select_related("facility")
        .order_by("starts_at")[: 3 * max(len(ids), 1)]
    )
    for b in bookings:
        if len(upcoming[b.child_id]) < 3:
            upcoming[b.child_id].append(b)
    applications = list(
        filter_allowed(user, Action.APPLICATION_VIEW, Application.objects.all())
        .filter(status__in=OPEN_APPLICATION)
        .order_by("-created_at")
    )
    record_many("list", children, fields=["family_name", "given_name"])
    record_many("list", bookings, fields=["date", "starts_at", "ends_at"])
    return FamilyHome(
        [ChildCard(c, certs.get(c.pk), upcoming[c.pk]) for c in children], applications
    )


@dataclass(frozen=True)
class FacilityHome:
    """The facility's start page: counts that lead to the day's tasks (no person's data)."""

    facility: object
    today: object
    visits_today: int
    interview_requests: int
    regular_requests: int
    claim_year: int
    claim_month: int
    claims: list | None  # last month's claims (the ones to send this month); None: not shown


def facility_home(user) -> FacilityHome:
    """Today's booked children, open interview requests, regular-use requests waiting and, for
    the manager, the state of last month's claims (sent to the ward in this month)."""
    from tsuen.billing.models import Claim, ClaimStatus
    from tsuen.booking.models import Booking, BookingStatus, RegularUseRequest, RegularUseStatus
    from tsuen.facilities.models import Interview, InterviewStatus
    from tsuen.facilities.services_staff import facility_of

    facility = facility_of(user, Action.FACILITY_VIEW)
    today = clock.today()
    visits = filter_allowed(user, Action.FACILITY_DAY_VIEW, Booking.objects.all()).filter(
        facility=facility, date=today, status=BookingStatus.CONFIRMED
    )
    interviews = filter_allowed(user, Action.INTERVIEW_DECIDE, Interview.objects.all()).filter(
        facility=facility, status=InterviewStatus.REQUESTED
    )
    regular = filter_allowed(
        user, Action.REGULAR_REQUEST_ALLOCATE, RegularUseRequest.objects.all()
    ).filter(facility=facility, status=RegularUseStatus.REQUESTED)
    first_of_month = today.replace(day=1)
    last_month = first_of_month - dt.timedelta(days=1)
    claims = None
    if allows_any(user, Action.CLAIM_VIEW, Claim):
        claims = list(
            filter_allowed(user, Action.CLAIM_VIEW, Claim.objects.all())
            .filter(facility=facility, year=last_month.year, month=last_month.month)
            .exclude(status=ClaimStatus.SUPERSEDED)
            .select_related("paying_municipality")
            .order_by("paying_municipality__name", "-version")
        )
    return FacilityHome(
        facility=facility,
        today=today,
        visits_today=visits.count(),
        interview_requests=interviews.count(),
        regular_requests=regular.count(),
        claim_year=last_month.year,
        claim_month=last_month.month,
        claims=claims,
    )
