"""The dashboard's visit figures, kept by the database as visits are booked and recorded.

A visit's *contribution* to the figures is a function of its booking, its attendance (if any)
and its child's ward (the household's municipality)::

    visits            1 if attended (attendance present), else 0
    attended_minutes  if attended, the visit's minutes (attendance's billed, else the booking's)
    booked_minutes    the booking's billable minutes if confirmed
    counting_minutes  the visit's minutes if it counts towards the caps (confirmed or cancelled
                      late, and ``counts_toward_caps``), as the booking service counts them

Database triggers on bookings, attendances, children (their household) and households (their
ward) append the change of that contribution to :class:`VisitChange`, signed, in the writing
transaction: every write path is covered (the services, ``bulk_create``, ``update()``, SQL),
and a request only inserts a row, so no request waits for another's figures. The fold
(:func:`tsuen.reports.figures.fold`, ``manage.py fold_visit_figures``) moves the changes into
the summaries in one statement; the dashboard reads a summary and the changes not yet
folded in one statement, so the figures are exact whether or not the fold has run
(migration ``reports.0001_visit_figures``; tests/reports/test_figures.py).
"""

from __future__ import annotations

from django.db import models

from tsuen.core.tenancy import TenantModel


def _link(model: str):
    """A reference without a database constraint: the figures outlive what they count (a
    deleted booking leaves its change; a summary row of an erased child sums to zero)."""
    return models.ForeignKey(
        model, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )


class VisitChange(TenantModel):
    """A change of one visit's contribution, not folded yet (appended by the triggers)."""

    TENANT_PATHS = ("facility__municipality", "ward")

    facility = _link("facilities.Facility")
    child = _link("families.Child")
    ward = models.ForeignKey(
        "municipalities.Municipality",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        null=True,
    )
    date = models.DateField()
    visits = models.IntegerField()
    attended_minutes = models.IntegerField()
    booked_minutes = models.IntegerField()
    counting_minutes = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["facility", "date"], name="reports_change_facility_date"),
            models.Index(fields=["ward", "date"], name="reports_change_ward_date"),
            models.Index(fields=["child", "date"], name="reports_change_child_date"),
        ]


class FacilityMonth(TenantModel):
    """Use per facility: every visit at the facility in the month (whoever comes)."""

    TENANT_PATHS = ("facility__municipality",)

    facility = _link("facilities.Facility")
    month = models.DateField()  # the first of the month
    visits = models.IntegerField(default=0)
    booked_minutes = models.IntegerField(default=0)
    attended_minutes = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["facility", "month"], name="reports_facility_month")
        ]


class WardDay(TenantModel):
    """The trend: attended visits of the ward's children (wherever they go) per day."""

    TENANT_PATHS = ("ward",)

    ward = models.ForeignKey(
        "municipalities.Municipality",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    date = models.DateField()
    visits = models.IntegerField(default=0)
    attended_minutes = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ward", "date"], name="reports_ward_day")]


class ChildMonth(TenantModel):
    """Near a cap: a child's minutes counted towards the caps per month (cap periods are whole
    months: a month or a fiscal year)."""

    TENANT_PATHS = ("child__household__municipality",)

    child = _link("families.Child")
    month = models.DateField()  # the first of the month
    counting_minutes = models.IntegerField(default=0)

    class Meta:
        constraints = [
            # Month first: near-cap reads one month (or a fiscal year) of a ward's children.
            models.UniqueConstraint(fields=["month", "child"], name="reports_month_child")
        ]


class ChildDay(TenantModel):
    """Outreach: a child's attended visits per day (only days with a change of them)."""

    TENANT_PATHS = ("child__household__municipality",)

    child = _link("families.Child")
    date = models.DateField()
    visits = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["child", "date"], name="reports_child_day")]


class ChildLast(TenantModel):
    """Outreach: the day of a child's last attended visit (none: never came), as of the last
    fold. Not a sum, so the fold sets it again for every child a batch touched; a child with
    changes not folded yet is read from :class:`ChildDay` and the changes instead."""

    TENANT_PATHS = ("child__household__municipality",)

    child = models.OneToOneField(
        "families.Child",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    last_visit = models.DateField(null=True)

    class Meta:
        indexes = [models.Index(fields=["last_visit", "child"], name="reports_childlast_visit")]
