"""The waitlist (キャンセル待ち): a full slot's queue, and offers of freed places.

A family joins the waitlist of a *full* slot for one of its children. When a place is freed
(the booking service sends ``signals.place_freed`` on a cancellation), the place is offered to
the first waiting entry, in the order the entries were made, by email with an expiry
(``WAITLIST_OFFER_HOURS``; a hold that would end in the night ends at 10:00 the next morning;
never after the slot starts). While an offer is open the place is
*held*: :func:`held_places` counts it as taken, so that the booking service does not give it to
someone else (``places left = capacity - confirmed bookings - held_places``). The family
accepts (:func:`accept` books through the booking service) or withdraws; an unanswered offer
expires (:func:`expire_offers`, run by ``manage.py expire_waitlist_offers`` or the task
:func:`expire_waitlist_offers_task`) and the place passes to the next entry.

Scarce things under a lock: offering a place locks the slot row (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite's immediate transactions let one writer in at a time) and recounts the
bookings and open offers before it writes. docs/booking-waitlist.md describes the remaining
race and the rules in plain words.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.dispatch import receiver
from django.http import Http404
from django.tasks import task
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tsuen import rules
from tsuen.audit import record, record_many
from tsuen.authz.policy import Action, filter_allowed, get_or_404, require
from tsuen.booking.models import (
    HOLDING_STATUSES,
    LIVE_WAITLIST_STATUSES,
    Booking,
    WaitlistEntry,
    WaitlistStatus,
)
from tsuen.booking.signals import place_freed
from tsuen.certification.models import Certification, CertificationStatus
from tsuen.core import clock, tenancy
from tsuen.facilities import calendar
from tsuen.facilities.models import Interview, InterviewStatus, PlaceSlot
from tsuen.families.models import Child
from tsuen.municipalities.models import MunicipalPolicy, policy_for
from tsuen.notices.kinds import Notice
from tsuen.notices.services import notify

#: How long an offered place is held for the family (a setting-like constant): the offer
#: closes after this many hours, or when the slot starts if that is sooner.
WAITLIST_OFFER_HOURS = 12
#: Fields of an entry shown to the family (never values in the audit trail: names only).
ENTRY_FIELDS = ("starts_at", "ends_at", "status", "offer_expires_at")
CHILD_NAME_FIELDS = ("family_name", "given_name")


class WaitlistRefused(ValidationError):
    """Joining, accepting or withdrawing is refused; the message says why, in the user's
    language, and nothing was changed."""


# --- Counting places -----------------------------------------------------------------------------


def _open_offers(now: dt.datetime) -> Q:
    return Q(status=WaitlistStatus.OFFERED, offer_expires_at__gt=now)


def held_places(place_slot: PlaceSlot | int, now: dt.datetime | None = None) -> int:
    """Places of the slot held for open waitlist offers: count them as taken.

    The booking service must subtract this from the free places (capacity - confirmed
    bookings - held_places), or a place offered to the first waiting family could be booked by
    someone else while the offer is open. Counted on the unscoped manager: the number discloses
    no one and must be the same whoever looks.
    """
    slot_id = place_slot if isinstance(place_slot, int) else place_slot.pk
    now = now or clock.now()
    return WaitlistEntry.unscoped.filter(_open_offers(now), place_slot_id=slot_id).count()


def held_places_expression(now: dt.datetime | None = None, slot_ref: str = "pk"):
    """``held_places`` as a subquery expression, to annotate a PlaceSlot queryset in one query
    (e.g. a calendar: ``.annotate(held=held_places_expression())``)."""
    now = now or clock.now()
    count = (
        WaitlistEntry.unscoped.filter(_open_offers(now), place_slot=OuterRef(slot_ref))
        .order_by()
        .values("place_slot")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(count, output_field=IntegerField()), Value(0))


def _confirmed(slot: PlaceSlot) -> int:
    return Booking.unscoped.filter(place_slot=slot, status__in=HOLDING_STATUSES).count()


def places_left(slot: PlaceSlot, now: dt.datetime | None = None) -> int:
    return max(0, slot.capacity - _confirmed(slot) - held_places(slot, now))


def slot_starts(slot: PlaceSlot) -> dt.datetime:
    return dt.datetime.combine(slot.date, slot.starts_at, tzinfo=timezone.get_current_timezone())


def _aware(day: dt.date, at: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, at, tzinfo=timezone.get_current_timezone())


# --- Joining -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JoinPage:
    """What the join form shows: the slot, its facility, and the children who may wait."""

    slot: PlaceSlot
    children: list[Child]
    places_left: int


def _public_slot(place_slot_id: int) -> PlaceSlot:
    """A slot of a facility that is not suspended (slots are published to everyone)."""
    with tenancy.cross_tenant("place slots are published to everyone (FACILITY_VIEW: anyone)"):
        slot = (
            PlaceSlot.objects.select_related("facility")
            .filter(pk=place_slot_id, facility__suspended=False)
            .first()
        )
    if slot is None:
        raise Http404
    return slot


def join_page(user, place_slot_id: int, now: dt.datetime | None = None) -> JoinPage:
    """The join form's content; 404 for users who cannot wait for a child at all."""
    require(user, Action.WAITLIST_JOIN, Child)
    slot = _public_slot(place_slot_id)
    children = list(
        filter_allowed(user, Action.WAITLIST_JOIN, Child.objects.all()).order_by("birth_date", "pk")
    )
    record_many("list", children, fields=CHILD_NAME_FIELDS)
    return JoinPage(slot, children, places_left(slot, now))


def _require_eligible(child: Child, slot: PlaceSlot, start: dt.datetime, end: dt.datetime) -> None:
    """The basics a booking would check, so that an offer is not made to a child who could
    not take it: certified on the day, first interview accepted at this facility, the slot's age
    class, and a visit length the policy allows. The booking service checks everything again
    (caps, overlaps, window) when the offer is accepted."""
    certified = Certification.objects.filter(
        child=child,
        status=CertificationStatus.ACTIVE,
        valid_from__lte=slot.date,
        valid_to__gte=slot.date,
    ).exists()
    if not certified:
        raise WaitlistRefused(_("The child is not certified on that day."))
    interviewed = Interview.objects.filter(
        child=child, facility_id=slot.facility_id, status=InterviewStatus.ACCEPTED
    ).exists()
    if not interviewed:
        raise WaitlistRefused(
            _(
                "The first interview at this facility must be accepted before you can wait "
                "for a place."
            )
        )
    if rules.age_class(child.birth_date, rules.fiscal_year_of(slot.date)) != slot.age_class:
        raise WaitlistRefused(_("These places are for another age class."))
    if not (_aware(slot.date, slot.starts_at) <= start and end <= _aware(slot.date, slot.ends_at)):
        raise WaitlistRefused(_("Choose a time within the slot's hours."))
    try:
        policy = policy_for(child.household.municipality_id, slot.date).to_rules()
    except MunicipalPolicy.DoesNotExist:
        raise WaitlistRefused(
            _("Your municipality has not set its rules for that day yet; please try later.")
        ) from None
    try:
        rules.validate_booking_length(start, end, policy)
    except rules.RuleError:
        raise WaitlistRefused(
            _("A visit lasts at least %(minimum)s minutes, then in steps of %(step)s minutes.")
            % {"minimum": policy.billing_minimum_minutes, "step": policy.billing_step_minutes}
        ) from None


def join(
    user,
    child_id: int,
    place_slot_id: int,
    start: dt.time,
    end: dt.time,
    *,
    now: dt.datetime | None = None,
) -> WaitlistEntry:
    """Put the child on the waitlist of a full slot, wanting ``start``-``end`` that day."""
    now = now or clock.now()
    child = get_or_404(
        user, Action.WAITLIST_JOIN, Child.objects.select_related("household"), pk=child_id
    )
    slot = _public_slot(place_slot_id)
    starts, ends = _aware(slot.date, start), _aware(slot.date, end)
    if ends <= starts:
        raise WaitlistRefused(_("The end must be after the start."))
    if slot_starts(slot) <= now:
        raise WaitlistRefused(_("This slot has already started."))
    closed = calendar.closed_reason(slot.facility_id, slot.date)
    if closed:
        raise WaitlistRefused(
            _("The facility is closed on this day (%(reason)s).") % {"reason": closed}
        )
    with tenancy.cross_tenant("the slot's bookings and queue: counted, nobody disclosed"):
        _require_eligible(child, slot, starts, ends)
        try:
            with transaction.atomic():
                slot = PlaceSlot.unscoped.select_for_update().get(pk=slot.pk)
                if Booking.unscoped.filter(
                    place_slot=slot, child=child, status__in=HOLDING_STATUSES
                ).exists():
                    raise WaitlistRefused(_("The child already has a booking in this slot."))
                if places_left(slot, now) > 0:
                    raise WaitlistRefused(
                        _("There are places free in this slot: book one directly.")
                    )
                entry = WaitlistEntry.objects.create(
                    place_slot=slot,
                    child=child,
                    starts_at=starts,
                    ends_at=ends,
                    requested_by=user,
                    created_at=now,
                )
                record("create", entry, fields=("starts_at", "ends_at", "status"))
        except IntegrityError:
            raise WaitlistRefused(
                _("The child is already on the waitlist for this slot.")
            ) from None
    return entry


# --- Offering freed places ------------------------------------------------------------------------


def _expires(slot: PlaceSlot, now: dt.datetime) -> dt.datetime:
    """The offer's hold: ``WAITLIST_OFFER_HOURS``, moved to 10:00 if it would end in the
    night, never past the slot's start (rules.offer_hold_ends)."""
    return rules.offer_hold_ends(now, WAITLIST_OFFER_HOURS, slot_starts(slot))


def _expire_stale(slot: PlaceSlot, now: dt.datetime) -> list[WaitlistEntry]:
    stale = list(
        WaitlistEntry.unscoped.select_for_update().filter(
            place_slot=slot, status=WaitlistStatus.OFFERED, offer_expires_at__lte=now
        )
    )
    for entry in stale:
        entry.status = WaitlistStatus.EXPIRED
        entry.save(update_fields=["status"])
        record("update", entry, fields=("status",))
    return stale


def _pass_on(slot_id: int, now: dt.datetime) -> tuple[list[WaitlistEntry], list[WaitlistEntry]]:
    """Expire the slot's stale offers, then offer every free place to the waiting entries,
    first come first served, under the slot's row lock. Returns (expired, offered)."""
    with tenancy.cross_tenant("waitlist offers follow a freed place"), transaction.atomic():
        slot = PlaceSlot.unscoped.select_for_update().select_related("facility").get(pk=slot_id)
        expired = _expire_stale(slot, now)
        if slot_starts(slot) <= now or not calendar.is_open(slot.facility_id, slot.date):
            return expired, []  # no offer of a place on a day the facility is closed
        free = places_left(slot, now)
        if free <= 0:
            return expired, []
        booked_children = Booking.unscoped.filter(
            place_slot=slot, status__in=HOLDING_STATUSES
        ).values("child_id")
        waiting = (
            WaitlistEntry.unscoped.select_for_update(of=("self",))
            .select_related("child", "requested_by")
            .filter(place_slot=slot, status=WaitlistStatus.WAITING)
            .exclude(child_id__in=booked_children)
            .order_by("created_at", "pk")[:free]
        )
        expires = _expires(slot, now)
        offered = []
        for entry in waiting:
            entry.status = WaitlistStatus.OFFERED
            entry.offered_at, entry.offer_expires_at = now, expires
            entry.save(update_fields=["status", "offered_at", "offer_expires_at"])
            record("update", entry, fields=("status", "offer_expires_at"))
            _send_offer(entry, slot)
            offered.append(entry)
        return expired, offered


def offer_next(place_slot: PlaceSlot | int, now: dt.datetime | None = None) -> list[WaitlistEntry]:
    """Offer the slot's free places to its waiting entries; returns the entries offered.

    Runs in the caller's transaction if there is one (the booking service's cancellation), so
    the freed place is held in the same commit that frees it.
    """
    slot_id = place_slot if isinstance(place_slot, int) else place_slot.pk
    return _pass_on(slot_id, now or clock.now())[1]


def _send_offer(entry: WaitlistEntry, slot: PlaceSlot) -> None:
    local = timezone.localtime
    notify(
        Notice.WAITLIST_OFFER,
        entry.requested_by,
        child_name=entry.child.given_name,
        facility_name=slot.facility.name,
        date=slot.date,
        start=local(entry.starts_at).strftime("%H:%M"),
        end=local(entry.ends_at).strftime("%H:%M"),
        expires=entry.offer_expires_at,
        path=reverse("booking:waitlist"),
    )


@receiver(place_freed, dispatch_uid="tsuen.booking.waitlist.on_place_freed")
def on_place_freed(sender, place_slot, now=None, **kwargs) -> None:
    """A cancellation freed a place: offer it to the first waiting entry."""
    offer_next(place_slot, now)


def expire_offers(now: dt.datetime | None = None) -> int:
    """Close unanswered offers whose time is up and pass each place to the next entry; close
    the queue of slots that have started. Returns the number of offers expired."""
    now = now or clock.now()
    expired = 0
    with tenancy.cross_tenant("scheduled job: waitlist offers of every ward"):
        slot_ids = set(
            WaitlistEntry.unscoped.filter(
                status=WaitlistStatus.OFFERED, offer_expires_at__lte=now
            ).values_list("place_slot_id", flat=True)
        )
        for slot_id in sorted(slot_ids):
            expired += len(_pass_on(slot_id, now)[0])
        started = WaitlistEntry.unscoped.filter(
            status=WaitlistStatus.WAITING, place_slot__date__lte=timezone.localdate(now)
        ).select_related("place_slot")
        with transaction.atomic():
            for entry in started:
                if slot_starts(entry.place_slot) <= now:
                    entry.status = WaitlistStatus.EXPIRED
                    entry.save(update_fields=["status"])
                    record("update", entry, fields=("status",))
    return expired


@task()
def expire_waitlist_offers_task() -> int:
    """The background-task form of :func:`expire_offers` (``manage.py db_worker`` runs it)."""
    return expire_offers()


# --- The family's answers -------------------------------------------------------------------------


def _book(user, entry: WaitlistEntry) -> Booking:
    """Book the offered place through the booking service, which checks every rule again."""
    from tsuen.booking import services

    return services.book(
        user,
        entry.child_id,
        entry.place_slot_id,
        timezone.localtime(entry.starts_at).time(),
        timezone.localtime(entry.ends_at).time(),
    )


def accept(user, entry_id: int, *, now: dt.datetime | None = None) -> Booking:
    """Take the offered place: the entry is accepted and the booking made in one transaction.

    The entry stops holding the place just before the booking service recounts, inside the
    same transaction; if the booking is refused everything rolls back and the offer stays open
    until it expires (the family may withdraw it instead).
    """
    from tsuen.booking.services import BookingRefused  # services imports this module too

    now = now or clock.now()
    entry = get_or_404(user, Action.WAITLIST_RESPOND, WaitlistEntry.objects.all(), pk=entry_id)
    with transaction.atomic():
        entry = WaitlistEntry.unscoped.select_for_update().get(pk=entry.pk)
        if entry.status != WaitlistStatus.OFFERED:
            raise WaitlistRefused(_("There is no open offer on this waitlist entry."))
        if entry.offer_expires_at <= now:
            raise WaitlistRefused(_("This offer has expired."))
        entry.status = WaitlistStatus.ACCEPTED
        entry.save(update_fields=["status"])
        try:
            booking = _book(user, entry)
        except BookingRefused as refused:
            raise WaitlistRefused([p.message for p in refused.problems]) from None
        entry.booking = booking
        entry.save(update_fields=["booking"])
        record("update", entry, fields=("status", "booking"))
    return booking


def withdraw(user, entry_id: int, *, now: dt.datetime | None = None) -> WaitlistEntry:
    """Leave the waitlist; an open offer passes to the next entry at once."""
    now = now or clock.now()
    entry = get_or_404(user, Action.WAITLIST_RESPOND, WaitlistEntry.objects.all(), pk=entry_id)
    with transaction.atomic():
        entry = WaitlistEntry.unscoped.select_for_update().get(pk=entry.pk)
        if entry.status not in LIVE_WAITLIST_STATUSES:
            raise WaitlistRefused(_("This waitlist entry is already closed."))
        was_offered = entry.status == WaitlistStatus.OFFERED
        entry.status = WaitlistStatus.WITHDRAWN
        entry.save(update_fields=["status"])
        record("update", entry, fields=("status",))
        if was_offered:
            offer_next(entry.place_slot_id, now)
    return entry


def entries_for(user, *, today: dt.date | None = None) -> list[WaitlistEntry]:
    """The family's waitlist entries for slots from today on, soonest first."""
    require(user, Action.WAITLIST_RESPOND, WaitlistEntry)
    today = today or clock.today()
    entries = list(
        filter_allowed(user, Action.WAITLIST_RESPOND, WaitlistEntry.objects.all())
        .filter(place_slot__date__gte=today)
        .select_related("child", "place_slot__facility")
        .order_by("place_slot__date", "starts_at", "pk")
    )
    record_many("list", entries, fields=ENTRY_FIELDS)
    return entries


def waiting_for_facility(staff, *, today: dt.date | None = None) -> list[WaitlistEntry]:
    """The live queue of the staff member's facility (for the facility side)."""
    require(staff, Action.WAITLIST_VIEW, WaitlistEntry)
    if not staff.is_facility:
        raise Http404
    today = today or clock.today()
    entries = list(
        filter_allowed(staff, Action.WAITLIST_VIEW, WaitlistEntry.objects.all())
        .filter(place_slot__date__gte=today, status__in=LIVE_WAITLIST_STATUSES)
        .select_related("child", "place_slot")
        .order_by("place_slot__date", "place_slot__starts_at", "created_at", "pk")
    )
    record_many("list", entries, fields=ENTRY_FIELDS)
    return entries
