"""Aggregate figures: counts only, never a person's data (safe for the auditor and the
national operator)."""

from __future__ import annotations

from django.db.models import Count, Q

from tsuen.authz.policy import Action, require
from tsuen.certification.models import Application, ApplicationStatus, Certification
from tsuen.facilities.models import Facility
from tsuen.municipalities.models import Municipality

WAITING = [ApplicationStatus.SUBMITTED, ApplicationStatus.CORRECTION_REQUESTED]


def municipality_figures(user) -> dict[str, int]:
    require(user, Action.MUNICIPALITY_STATS_VIEW, Municipality)
    mid = user.municipality_id
    return {
        "applications_waiting": Application.objects.filter(
            municipality_id=mid, status__in=WAITING
        ).count(),
        "certified_children": Certification.objects.filter(
            municipality_id=mid, status="active"
        ).count(),
        "facilities": Facility.objects.filter(municipality_id=mid).count(),
    }


def national_figures(user) -> list[dict]:
    require(user, Action.NATIONAL_STATS_VIEW, Municipality)
    return list(
        Municipality.objects.annotate(
            certified=Count(
                "certifications", filter=Q(certifications__status="active"), distinct=True
            ),
            facility_count=Count("facilities", distinct=True),
        )
        .values("code", "prefecture", "name", "certified", "facility_count")
        .order_by("code")
    )
