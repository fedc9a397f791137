"""Regular use (定期利用) requests: a fixed weekday and time over a period.

The family asks; the facility allocates or refuses (the allocation side is another issue: it
starts from :func:`requests_for_facility`). A request is accepted only at a facility that offers
regular use, after the child's first interview there was accepted, for a child certified on the
first day and in an age class the facility takes, with a visit length the municipality's policy
allows and inside the facility's opening hours. Caps are not checked here: they are checked per
visit when the facility turns the allocation into bookings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _

from tsuen import rules
from tsuen.audit import record, record_many
from tsuen.authz.policy import Action, filter_allowed, get_or_404, require
from tsuen.booking.models import RegularUseRequest, RegularUseStatus
from tsuen.certification.models import Certification, CertificationStatus
from tsuen.core import clock, tenancy
from tsuen.facilities import calendar
from tsuen.facilities.models import Facility, Interview, InterviewStatus
from tsuen.families.models import Child
from tsuen.municipalities.models import MunicipalPolicy, policy_for

#: The longest period one request may cover (a year, as a fiscal year's policy allows).
MAX_PERIOD_DAYS = 366
NOTE_MAX_LENGTH = 500
REQUEST_FIELDS = (
    "weekday",
    "starts_at",
    "ends_at",
    "period_from",
    "period_to",
    "note",
    "status",
)
LIST_FIELDS = (
    "weekday",
    "starts_at",
    "ends_at",
    "period_from",
    "period_to",
    "status",
    "decline_reason",
    "outcome",
)
CHILD_NAME_FIELDS = ("family_name", "given_name")


class RegularRequestRefused(ValidationError):
    """A regular-use request is refused; the message says why, and nothing was written."""


@dataclass(frozen=True)
class RequestPage:
    """What the request form offers: facilities with regular use where one of the family's
    children had its first interview accepted, and those children."""

    facilities: list[Facility]
    children: list[Child]


def _interviewed_children(user):
    return filter_allowed(user, Action.REGULAR_REQUEST_CREATE, Child.objects.all())


def request_page(user) -> RequestPage:
    require(user, Action.REGULAR_REQUEST_CREATE, Child)
    children = list(_interviewed_children(user).order_by("birth_date", "pk"))
    accepted = Interview.objects.filter(
        facility=OuterRef("pk"), child__in=children, status=InterviewStatus.ACCEPTED
    )
    with tenancy.cross_tenant("facilities are published to everyone (FACILITY_VIEW: anyone)"):
        facilities = list(
            Facility.objects.filter(offers_regular=True, suspended=False)
            .filter(Exists(accepted))
            .order_by("name", "pk")
        )
    record_many("list", children, fields=CHILD_NAME_FIELDS)
    return RequestPage(facilities, children)


def _first_weekday_on_or_after(day: dt.date, weekday: int) -> dt.date:
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def _check(
    child: Child,
    facility: Facility,
    weekday: int,
    start: dt.time,
    end: dt.time,
    period_from: dt.date,
    period_to: dt.date,
    note: str,
    today: dt.date,
) -> None:
    if not facility.offers_regular or facility.suspended:
        raise RegularRequestRefused(_("This facility does not offer regular use."))
    if not Interview.objects.filter(
        child=child, facility=facility, status=InterviewStatus.ACCEPTED
    ).exists():
        raise RegularRequestRefused(
            _("The first interview at this facility must be accepted before you can ask.")
        )
    if weekday not in range(7):
        raise RegularRequestRefused(_("Choose a day of the week."))
    if weekday + 1 not in calendar.opening_weekdays(facility.pk):
        raise RegularRequestRefused(
            _("The facility does not open on %(weekday)s.") % {"weekday": WEEKDAYS[weekday]}
        )
    if end <= start:
        raise RegularRequestRefused(_("The end must be after the start."))
    opens, closes = facility.opens_at, facility.closes_at
    if opens and closes and (start < opens or end > closes):
        raise RegularRequestRefused(
            _("The facility is open from %(opens)s to %(closes)s.")
            % {"opens": opens.strftime("%H:%M"), "closes": closes.strftime("%H:%M")}
        )
    if period_from <= today:
        raise RegularRequestRefused(_("The period must start after today."))
    if period_to < period_from:
        raise RegularRequestRefused(_("The last day must not be before the first day."))
    if (period_to - period_from).days >= MAX_PERIOD_DAYS:
        raise RegularRequestRefused(_("A request covers at most one year."))
    if _first_weekday_on_or_after(period_from, weekday) > period_to:
        raise RegularRequestRefused(_("That day of the week does not occur in the period."))
    if len(note) > NOTE_MAX_LENGTH:
        raise RegularRequestRefused(
            _("The note is too long (at most %(n)s characters).") % {"n": NOTE_MAX_LENGTH}
        )
    certified = Certification.objects.filter(
        child=child,
        status=CertificationStatus.ACTIVE,
        valid_from__lte=period_from,
        valid_to__gte=period_from,
    ).exists()
    if not certified:
        raise RegularRequestRefused(_("The child is not certified on the first day."))
    if not facility.accepts(rules.age_class(child.birth_date, rules.fiscal_year_of(period_from))):
        raise RegularRequestRefused(_("This facility does not take children of this age class."))
    try:
        policy = policy_for(child.household.municipality_id, period_from).to_rules()
    except MunicipalPolicy.DoesNotExist:
        raise RegularRequestRefused(
            _("Your municipality has not set its rules for that day yet; please try later.")
        ) from None
    minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    try:
        rules.validate_booking_length(0, minutes, policy)
    except rules.RuleError:
        raise RegularRequestRefused(
            _("A visit lasts at least %(minimum)s minutes, then in steps of %(step)s minutes.")
            % {"minimum": policy.billing_minimum_minutes, "step": policy.billing_step_minutes}
        ) from None


def request(
    user,
    child_id: int,
    facility_id: int,
    weekday: int,
    start: dt.time,
    end: dt.time,
    period_from: dt.date,
    period_to: dt.date,
    note: str = "",
    *,
    today: dt.date | None = None,
) -> RegularUseRequest:
    """Ask ``facility_id`` for a regular place for the child: every ``weekday`` (0 = Monday)
    from ``start`` to ``end``, from ``period_from`` to ``period_to``."""
    today = today or clock.today()
    child = get_or_404(
        user, Action.REGULAR_REQUEST_CREATE, Child.objects.select_related("household"), pk=child_id
    )
    note = (note or "").strip()
    with tenancy.cross_tenant("the facility asked may be in another ward; it is published"):
        facility = Facility.objects.filter(pk=facility_id).first()
        if facility is None:
            raise RegularRequestRefused(_("Choose a facility."))
        _check(child, facility, weekday, start, end, period_from, period_to, note, today)
        try:
            with transaction.atomic():
                made = RegularUseRequest.objects.create(
                    child=child,
                    facility=facility,
                    weekday=weekday,
                    starts_at=start,
                    ends_at=end,
                    period_from=period_from,
                    period_to=period_to,
                    note=note,
                    requested_by=user,
                    created_at=clock.now(),
                )
                record("create", made, fields=REQUEST_FIELDS)
        except IntegrityError:
            raise RegularRequestRefused(
                _("You have already asked for this day and time; the facility will answer.")
            ) from None
    return made


def requests_for(user) -> list[RegularUseRequest]:
    """The family's requests, newest first."""
    require(user, Action.REGULAR_REQUEST_WITHDRAW, RegularUseRequest)
    made = list(
        filter_allowed(user, Action.REGULAR_REQUEST_VIEW, RegularUseRequest.objects.all())
        .select_related("child", "facility")
        .order_by("-created_at", "-pk")
    )
    record_many("list", made, fields=LIST_FIELDS)
    return made


def withdraw(user, request_id: int) -> RegularUseRequest:
    """Withdraw a request the facility has not answered yet."""
    made = get_or_404(
        user, Action.REGULAR_REQUEST_WITHDRAW, RegularUseRequest.objects.all(), pk=request_id
    )
    with transaction.atomic():
        made = RegularUseRequest.unscoped.select_for_update().get(pk=made.pk)
        if made.status != RegularUseStatus.REQUESTED:
            raise RegularRequestRefused(_("The facility has already answered this request."))
        made.status = RegularUseStatus.WITHDRAWN
        made.decided_at = clock.now()
        made.save(update_fields=["status", "decided_at"])
        record("update", made, fields=("status",))
    return made


def requests_for_facility(
    staff, status: RegularUseStatus | None = RegularUseStatus.REQUESTED
) -> list[RegularUseRequest]:
    """The requests made to the staff member's facility (open ones by default), oldest first:
    where the facility side's allocation starts. 404 for anyone but facility staff."""
    require(staff, Action.REGULAR_REQUEST_VIEW, RegularUseRequest)
    if not staff.is_facility:
        raise Http404
    made = filter_allowed(
        staff, Action.REGULAR_REQUEST_VIEW, RegularUseRequest.objects.all()
    ).select_related("child", "facility")
    if status is not None:
        made = made.filter(status=status)
    made = list(made.order_by("created_at", "pk"))
    record_many("list", made, fields=REQUEST_FIELDS)
    return made
