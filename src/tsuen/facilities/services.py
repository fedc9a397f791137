"""Finding a facility, its calendar of open places, and the first interview (初回面談).

Places are never counted into a stored field: every "places left" is the slot's capacity minus
its confirmed bookings, recounted by the database in the query that shows it. Facility data is
published to everyone (``Action.FACILITY_VIEW`` is ``anyone``), so reading it runs in an
explicit cross-tenant scope; everything about a child goes through the authorization layer and
leaves an audit event.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db import IntegrityError, transaction
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tsuen import rules
from tsuen.audit import record, record_many
from tsuen.authz.policy import Action, allows, filter_allowed, get_or_404, require
from tsuen.booking.models import HOLDING_STATUSES, Booking
from tsuen.core import clock, tenancy
from tsuen.facilities import calendar
from tsuen.facilities.models import (
    OPEN_INTERVIEW_STATUSES,
    Facility,
    Interview,
    InterviewSlot,
    InterviewStatus,
    PlaceSlot,
)
from tsuen.families.models import Child
from tsuen.files.models import Purpose, StoredFile
from tsuen.notices.kinds import Notice
from tsuen.notices.services import notify, notify_facility

#: "The next four weeks": today and the 27 days after it.
WINDOW_DAYS = 28
PAGE_SIZE = 20
#: Morning slots start before noon; afternoon slots end after one o'clock.
NOON, ONE_PM = dt.time(12, 0), dt.time(13, 0)
AGE_CLASSES = (0, 1, 2)
#: The fields of a child shown beside a facility or an interview (name only).
CHILD_NAME_FIELDS = ("family_name", "given_name")
INTERVIEW_FIELDS = ("status", "held_minutes", "message_to_family")

_PUBLIC = "facility information is published to everyone (Action.FACILITY_VIEW: anyone)"


#: Lock the interview slot's row before recounting. Only the race test's control run switches
#: it off, to prove that the test can see an oversold slot.
LOCK_INTERVIEW_SLOTS = True


class InterviewRefused(ValidationError):
    """A first-interview request or decision is refused; the message says why."""


# --- open places -------------------------------------------------------------------------------


def window(today: dt.date) -> tuple[dt.date, dt.date]:
    return today, today + dt.timedelta(days=WINDOW_DAYS - 1)


holidays_between = calendar.holidays_between


def _booked(slot_ref: str = "pk"):
    """Confirmed bookings of the slot at ``OuterRef(slot_ref)``: a count, never a stored number.

    Counted on the unscoped manager: the number discloses no one, and it must be the same
    whoever looks (a ward's staff see the bookings of other wards' children too)."""
    count = (
        Booking.unscoped.filter(place_slot=OuterRef(slot_ref), status__in=HOLDING_STATUSES)
        .order_by()
        .values("place_slot")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(count, output_field=IntegerField()), Value(0))


def _left(slot_ref: str = "pk"):
    """Places left: capacity minus confirmed bookings minus places held for open waitlist
    offers (exactly what the booking service counts as taken)."""
    from tsuen.booking.waitlist import held_places_expression

    taken = _booked(slot_ref) + held_places_expression(slot_ref=slot_ref)
    return Greatest(F("capacity") - taken, Value(0), output_field=IntegerField())


def open_slots(start: dt.date, end: dt.date) -> QuerySet[PlaceSlot]:
    """Slots between ``start`` and ``end`` on days the facility is open, with ``left``."""
    return (
        PlaceSlot.unscoped.filter(date__range=(start, end))
        .filter(calendar.open_on(start, end))
        .annotate(left=_left())
    )


def free_places(facility_ids, today: dt.date) -> dict[int, int]:
    """Open places in the next four weeks per facility: one aggregate query."""
    start, end = window(today)
    rows = (
        PlaceSlot.unscoped.filter(facility_id__in=list(facility_ids), date__range=(start, end))
        .filter(calendar.open_on(start, end))
        .order_by()
        .values("facility_id")
        .annotate(free=Sum(_left()))
        .values_list("facility_id", "free")
    )
    found = dict(rows)
    return {pk: found.get(pk, 0) or 0 for pk in facility_ids}


# --- search ------------------------------------------------------------------------------------


class TimeOfDay:
    MORNING = "morning"
    AFTERNOON = "afternoon"


class Use:
    REGULAR = "regular"
    FLEXIBLE = "flexible"


@dataclass(frozen=True)
class SearchCriteria:
    municipality_id: int | None = None
    prefecture: str = ""  # the prefecture's name (the municipality's ``prefecture``)
    area: str = ""
    age_class: int | None = None
    child_id: int | None = None  # "the age of one of my children": its age class this year
    weekday: int | None = None  # ISO: 1 Monday .. 7 Sunday
    time_of_day: str = ""  # TimeOfDay or ""
    at: dt.time | None = None  # a time the visit should cover
    use: str = ""  # Use or ""
    medical_care: bool = False
    allergy: bool = False
    free_places: bool = False


@dataclass
class SearchResult:
    page: Page
    free: dict[int, int]
    age_class: int | None = None  # the class searched for (from the child, if one was chosen)

    @property
    def cards(self) -> list[tuple[Facility, int]]:
        return [(facility, self.free[facility.pk]) for facility in self.page.object_list]


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def _age_class_of(user, child_id: int, today: dt.date) -> int:
    child = get_or_404(user, Action.CHILD_VIEW, Child.objects.all(), pk=child_id)
    record("read", child, fields=["birth_date"])
    return rules.age_class(child.birth_date, rules.fiscal_year_of(today))


def search_facilities(
    user, criteria: SearchCriteria, *, page: int | str = 1, today: dt.date | None = None
) -> SearchResult:
    """Facilities matching ``criteria`` with their open places in the next four weeks.

    Criteria about slots (age class, weekday, time, free places) are one condition on a single
    slot: "a free place for class 1 on a Wednesday morning" means one such slot exists. The
    query count does not depend on the number of facilities or slots."""
    today = today or clock.today()
    age_class = criteria.age_class
    if criteria.child_id is not None:
        age_class = _age_class_of(user, criteria.child_id, today)
    with tenancy.cross_tenant(_PUBLIC):
        facilities = filter_allowed(
            user, Action.FACILITY_VIEW, Facility.objects.filter(suspended=False)
        ).select_related("municipality")
        if criteria.municipality_id:
            facilities = facilities.filter(municipality_id=criteria.municipality_id)
        elif criteria.prefecture:
            facilities = facilities.filter(municipality__prefecture=criteria.prefecture)
        if area := _normalise(criteria.area):
            facilities = facilities.filter(
                Q(address__icontains=area) | Q(name__icontains=area) | Q(name_kana__icontains=area)
            )
        if criteria.use == Use.REGULAR:
            facilities = facilities.filter(offers_regular=True)
        elif criteria.use == Use.FLEXIBLE:
            facilities = facilities.filter(offers_flexible=True)
        if criteria.medical_care:
            facilities = facilities.filter(medical_care_support=True)
        if criteria.allergy:
            facilities = facilities.filter(allergy_support=True)
        if age_class is not None:
            if age_class not in AGE_CLASSES:
                facilities = facilities.none()  # the child is past the program's ages
            else:
                facilities = facilities.filter(**{f"accepts_class_{age_class}": True})
        start, end = window(today)
        slot = _slot_condition(criteria, age_class, start, end)
        if slot is not None:
            slots = open_slots(start, end).filter(slot, facility=OuterRef("pk"))
            facilities = facilities.filter(Exists(slots))
        paginator = Paginator(
            facilities.order_by("municipality__code", "name_kana", "name"), PAGE_SIZE
        )
        result_page = paginator.get_page(page)
        free = free_places([f.pk for f in result_page.object_list], today)
    return SearchResult(result_page, free, age_class)


def _slot_condition(
    criteria: SearchCriteria, age_class: int | None, start: dt.date, end: dt.date
) -> Q | None:
    conditions = []
    if criteria.weekday:
        # The window's dates on that weekday, not EXTRACT(ISODOW ...): PostgreSQL estimates a
        # list of dates from its statistics (an expression gets a guess of 0.5 %, which led it to
        # a nested loop over every facility times every matching slot, quadratic in the size
        # of the country: bench.facility_search), and the slot index serves it.
        days = [
            start + dt.timedelta(days=n)
            for n in range((end - start).days + 1)
            if (start + dt.timedelta(days=n)).isoweekday() == criteria.weekday
        ]
        conditions.append(Q(date__in=days))
    if criteria.time_of_day == TimeOfDay.MORNING:
        conditions.append(Q(starts_at__lt=NOON))
    elif criteria.time_of_day == TimeOfDay.AFTERNOON:
        conditions.append(Q(ends_at__gt=ONE_PM))
    if criteria.at is not None:
        conditions.append(Q(starts_at__lte=criteria.at, ends_at__gt=criteria.at))
    if age_class is not None and (conditions or criteria.free_places):
        conditions.append(Q(age_class=age_class))
    if criteria.free_places:
        conditions.append(Q(left__gt=0))
    if not conditions:
        return None
    condition = Q()
    for c in conditions:
        condition &= c
    return condition


def search_municipalities(*, prefecture: str = "", of: int | None = None) -> list:
    """The municipalities that publish at least one facility in one prefecture (by its name, or
    the prefecture of municipality ``of``), for the search form: one query over at most one
    prefecture's municipalities (北海道 has the most, 179), never the country's. Without a
    prefecture, none: the form asks for the prefecture first."""
    from tsuen.municipalities.models import Municipality

    if prefecture:
        municipalities = Municipality.objects.filter(prefecture=prefecture)
    elif of is not None:
        municipalities = Municipality.objects.filter(
            prefecture=Subquery(Municipality.objects.filter(pk=of).values("prefecture")[:1])
        )
    else:
        return []
    with tenancy.cross_tenant(_PUBLIC):
        published = Facility.objects.filter(municipality=OuterRef("pk"), suspended=False)
        return list(
            municipalities.filter(Exists(published))
            .only("pk", "code", "name", "prefecture")
            .order_by("code")
        )


# --- the facility page -------------------------------------------------------------------------


@dataclass(frozen=True)
class SlotView:
    slot: PlaceSlot
    left: int

    @property
    def full(self) -> bool:
        return self.left <= 0


@dataclass
class CalendarDay:
    date: dt.date
    closed: str = ""  # why the facility is closed that day ("" when open)
    holiday: str = ""  # the national holiday's name
    slots: list[SlotView] = field(default_factory=list)


@dataclass
class ClassCalendar:
    age_class: int
    days: list[CalendarDay]
    #: The ids of the viewer's children in this age class (its calendar opens for them).
    children: list[int] = field(default_factory=list)


@dataclass
class FacilityPage:
    facility: Facility
    photos: list[StoredFile]
    calendars: list[ClassCalendar]
    bookable_children: list[Child]  # the user's children whose interview here is accepted
    interview_slots_open: int
    start: dt.date
    end: dt.date

    @property
    def opens_child_class(self) -> bool:
        """Whether a calendar is one of the viewer's children's classes (opened for them)."""
        return any(calendar.children for calendar in self.calendars)


def facility_page(user, facility_id: int, *, today: dt.date | None = None) -> FacilityPage:
    """One facility with its calendar of open places per age class for the next four weeks."""
    today = today or clock.today()
    start, end = window(today)
    with tenancy.cross_tenant(_PUBLIC):
        facility = get_or_404(
            user,
            Action.FACILITY_VIEW,
            Facility.objects.select_related("municipality"),
            pk=facility_id,
        )
        if facility.suspended and not allows(user, Action.FACILITY_MANAGE, facility):
            raise Http404
        photos = list(
            filter_allowed(
                user,
                Action.FILE_VIEW,
                StoredFile.objects.filter(facility=facility, purpose=Purpose.FACILITY_PHOTO),
            ).order_by("uploaded_at", "pk")
        )
        slots = list(
            PlaceSlot.unscoped.filter(facility=facility, date__range=(start, end))
            .annotate(left=_left())
            .order_by("age_class", "date", "starts_at")
        )
        facts = calendar.day_facts(facility.pk, start, end)
        interview_slots_open = _open_interview_slots(facility, clock.now()).count()
    calendars = _calendars(facility, slots, facts)
    _mark_children(user, calendars, today)
    return FacilityPage(
        facility,
        photos,
        calendars,
        _bookable_children(user, facility),
        interview_slots_open,
        start,
        end,
    )


def _calendars(facility, slots, facts) -> list[ClassCalendar]:
    """Per accepted age class, the days with places offered, a closure or a holiday (a
    holiday the facility opened shows its name and its places)."""
    calendars = []
    for age_class in AGE_CLASSES:
        class_slots = [s for s in slots if s.age_class == age_class]
        if not facility.accepts(age_class) and not class_slots:
            continue
        if not class_slots:  # "no places offered" says it all; closed days would be noise
            calendars.append(ClassCalendar(age_class, []))
            continue
        days: dict[dt.date, CalendarDay] = {
            day: CalendarDay(day, closed=calendar.why_closed(fact), holiday=fact.holiday)
            for day, fact in facts.items()
            if fact.holiday or fact.closed
        }
        for s in class_slots:
            day = days.setdefault(s.date, CalendarDay(s.date))
            if not day.closed:
                day.slots.append(SlotView(s, s.left))
        calendars.append(ClassCalendar(age_class, [days[d] for d in sorted(days)]))
    return calendars


def _mark_children(user, calendars: list[ClassCalendar], today: dt.date) -> None:
    """Name the family's children on the calendar of their age class this fiscal year."""
    if not user.is_authenticated or not user.is_family or not calendars:
        return
    children = list(
        filter_allowed(user, Action.CHILD_LIST, Child.objects.all()).order_by("birth_date", "pk")
    )
    record_many("list", children, fields=("birth_date",))
    by_class = {shown.age_class: shown for shown in calendars}
    fiscal_year = rules.fiscal_year_of(today)
    for child in children:
        if child.birth_date > rules.fiscal_year_bounds(fiscal_year)[1]:
            continue
        shown = by_class.get(rules.age_class(child.birth_date, fiscal_year))
        if shown is not None:
            shown.children.append(child.pk)


def _bookable_children(user, facility) -> list[Child]:
    if not user.is_authenticated or not user.is_family:
        return []
    children = list(
        filter_allowed(user, Action.CHILD_LIST, Child.objects.all())
        .filter(interviews__facility=facility, interviews__status=InterviewStatus.ACCEPTED)
        .distinct()
        .order_by("family_name_kana", "given_name_kana", "pk")
    )
    record_many("list", children, fields=CHILD_NAME_FIELDS)
    return children


# --- first interviews --------------------------------------------------------------------------


def _open_interview_slots(facility, now: dt.datetime) -> QuerySet[InterviewSlot]:
    taken = (
        Interview.unscoped.filter(slot=OuterRef("pk"), status__in=OPEN_INTERVIEW_STATUSES)
        .order_by()
        .values("slot")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        InterviewSlot.unscoped.filter(facility=facility, starts_at__gt=now)
        .annotate(
            left=Greatest(
                F("capacity") - Coalesce(Subquery(taken, output_field=IntegerField()), Value(0)),
                Value(0),
                output_field=IntegerField(),
            )
        )
        .filter(left__gt=0)
        .order_by("starts_at")
    )


@dataclass
class InterviewChoices:
    facility: Facility
    children: list[Child]
    slots: list[InterviewSlot]  # each with ``left``


def interview_choices(user, facility_id: int) -> InterviewChoices:
    """What the request form offers: the user's children and the facility's open slots."""
    with tenancy.cross_tenant(_PUBLIC):
        facility = get_or_404(
            user,
            Action.FACILITY_VIEW,
            Facility.objects.filter(suspended=False),
            pk=facility_id,
        )
        slots = list(_open_interview_slots(facility, clock.now()))
    require(user, Action.INTERVIEW_REQUEST, Child)  # only a family asks for an interview
    children = list(
        filter_allowed(user, Action.INTERVIEW_REQUEST, Child.objects.all()).order_by(
            "family_name_kana", "given_name_kana", "pk"
        )
    )
    record_many("list", children, fields=CHILD_NAME_FIELDS)
    return InterviewChoices(facility, children, slots)


def request_interview(user, child_id: int, slot_id: int, *, facility_id: int | None = None):
    """Book the first interview (初回面談) for a child in one of a facility's interview slots.

    The user is a guardian (or proxy) of the child; the child has no open interview at that
    facility; the slot is in the future and still has room. The slot's row is locked and its
    interviews recounted before writing, so two families racing for the last place cannot both
    get it. Raises :class:`InterviewRefused` (nothing written) or ``Http404``."""
    now = clock.now()
    with transaction.atomic():
        child = get_or_404(user, Action.INTERVIEW_REQUEST, Child.objects.all(), pk=child_id)
        with tenancy.cross_tenant(_PUBLIC):
            try:
                slots = InterviewSlot.unscoped.select_related("facility")
                if LOCK_INTERVIEW_SLOTS:
                    slots = slots.select_for_update(of=("self",))
                slot = slots.get(pk=slot_id, facility__suspended=False)
            except InterviewSlot.DoesNotExist:
                raise InterviewRefused(_("Choose one of the interview times offered.")) from None
            if facility_id is not None and slot.facility_id != facility_id:
                raise InterviewRefused(_("Choose one of the interview times offered."))
            if slot.starts_at <= now:
                raise InterviewRefused(
                    _("This interview time has already passed. Please choose another.")
                )
            existing = (
                Interview.unscoped.filter(
                    child=child, facility=slot.facility, status__in=OPEN_INTERVIEW_STATUSES
                )
                .values_list("status", flat=True)
                .first()
            )
            if existing == InterviewStatus.ACCEPTED:
                raise InterviewRefused(
                    _("%(name)s has already had the first interview here and may book visits.")
                    % {"name": child.given_name}
                )
            if existing == InterviewStatus.REQUESTED:
                raise InterviewRefused(
                    _("%(name)s already has an interview requested here.")
                    % {"name": child.given_name}
                )
            taken = Interview.unscoped.filter(slot=slot, status__in=OPEN_INTERVIEW_STATUSES).count()
            if taken >= slot.capacity:
                raise InterviewRefused(
                    _("This interview time has just been taken. Please choose another.")
                )
            try:
                with transaction.atomic():  # the constraint is the last wall against a race
                    interview = Interview.unscoped.create(
                        facility=slot.facility, slot=slot, child=child, requested_by=user
                    )
            except IntegrityError:
                raise InterviewRefused(
                    _("%(name)s already has an interview requested here.")
                    % {"name": child.given_name}
                ) from None
        record("create", interview, fields=["status", "slot", "facility"])
        starts = timezone.localtime(slot.starts_at)
        notify_facility(
            Notice.FACILITY_INTERVIEW_REQUESTED,
            slot.facility,
            day=starts.date(),
            start=starts.strftime("%H:%M"),
            path=reverse("facilities:staff_interview_decide", args=[interview.pk]),
        )
    return interview


def interviews_for(user) -> list[Interview]:
    """The interviews of the user's children, newest first (the family's page)."""
    if not user.is_authenticated or not user.is_family:
        raise Http404
    interviews = list(
        filter_allowed(user, Action.INTERVIEW_VIEW, Interview.objects.all())
        .select_related("child", "facility", "slot")
        .order_by("-requested_at", "-pk")
    )
    record_many("list", interviews, fields=INTERVIEW_FIELDS)
    return interviews


def cancel_interview(user, interview_id: int) -> Interview:
    """Cancel a requested interview (the place in the slot is freed)."""
    with transaction.atomic():
        interview = get_or_404(
            user,
            Action.INTERVIEW_CANCEL,
            Interview.objects.select_for_update(),
            pk=interview_id,
        )
        if interview.status != InterviewStatus.REQUESTED:
            raise InterviewRefused(_("Only a requested interview can be cancelled."))
        interview.status = InterviewStatus.CANCELLED
        interview.decided_at = clock.now()
        interview.save(update_fields=["status", "decided_at"])
        record("update", interview, fields=["status"])
    return interview


def _refuse_if_not_held_yet(interview: Interview, held_minutes: int) -> None:
    """An interview is recorded as held (minutes given, so also any acceptance) only once its
    scheduled time has come: never before its date, never "held" in the future. Declining a
    request without an interview (0 minutes) may come at any time."""
    slot = interview.slot
    if held_minutes and slot is not None and slot.starts_at > clock.now():
        from tsuen.core.templatetags.tsuen import date_jp

        raise InterviewRefused(
            _(
                "This interview is scheduled for %(date)s at %(time)s: record it once it has "
                "taken place."
            )
            % {
                "date": date_jp(slot.starts_at),
                "time": timezone.localtime(slot.starts_at).strftime("%H:%M"),
            }
        )


def decide_interview(
    staff,
    interview_id: int,
    *,
    accept: bool,
    held_minutes: int,
    follow_up_recorded: bool,
    notes: str,
    message: str = "",
) -> Interview:
    """The facility records the first interview and accepts or declines the child.

    Staff of the interview's facility only; accepting needs an interview that took place
    (``held_minutes >= 1``). ``notes`` stay with the facility; ``message`` is shown to the
    family. The family is told by email once the decision commits. Acceptance opens booking."""
    if held_minutes is None or held_minutes < 0:
        raise InterviewRefused(_("Enter how many minutes the interview lasted."))
    if accept and held_minutes < 1:
        raise InterviewRefused(
            _("A child can be accepted only after the interview has taken place.")
        )
    with transaction.atomic():
        interview = get_or_404(
            staff,
            Action.INTERVIEW_DECIDE,
            Interview.objects.select_for_update(),
            pk=interview_id,
        )
        if interview.status != InterviewStatus.REQUESTED:
            raise InterviewRefused(_("This interview has already been decided or cancelled."))
        _refuse_if_not_held_yet(interview, held_minutes)
        interview.status = InterviewStatus.ACCEPTED if accept else InterviewStatus.DECLINED
        interview.held_minutes = held_minutes
        interview.follow_up_recorded = follow_up_recorded
        interview.notes = notes
        interview.message_to_family = message
        interview.decided_at = clock.now()
        interview.save(
            update_fields=[
                "status",
                "held_minutes",
                "follow_up_recorded",
                "notes",
                "message_to_family",
                "decided_at",
            ]
        )
        record(
            "update",
            interview,
            fields=[
                "status",
                "held_minutes",
                "follow_up_recorded",
                "notes",
                "message_to_family",
            ],
        )
        child = interview.child
        facility = interview.facility
        notify(
            Notice.INTERVIEW_OUTCOME,
            interview.requested_by,
            accepted=accept,
            child_name=child.given_name,
            facility_name=facility.name,
            facility_id=facility.pk,
            path=reverse("facilities:interviews"),
        )
    return interview
