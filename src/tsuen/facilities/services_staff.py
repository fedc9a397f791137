"""The facility's own screens: its profile, staff, places, closures and interview slots.

Every function takes the acting user, authorizes through ``tsuen.authz.policy`` on the user's
own facility (another facility's rows answer 404), writes in one transaction and records an
audit event. Bad input raises :class:`StaffRefused` with a message for the user; nothing is
written then.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tsuen.accounts import invitations
from tsuen.accounts.invitations import Issued
from tsuen.audit import record, record_many
from tsuen.authz.policy import Action, filter_allowed, get_or_404
from tsuen.booking import waitlist
from tsuen.booking.models import HOLDING_STATUSES, Booking
from tsuen.booking.signals import place_freed
from tsuen.core import clock, confirm
from tsuen.core.templatetags.tsuen import date_jp
from tsuen.facilities import calendar
from tsuen.facilities.checks import BANK_FIELDS, REGISTER_FIELDS, bank_problems, facility_problems
from tsuen.facilities.checks import normalised as _normalised
from tsuen.facilities.models import (
    ClosureDay,
    Facility,
    HolidayOpening,
    Interview,
    InterviewSlot,
    PlaceSlot,
    PlaceTemplate,
    StaffInvitation,
)
from tsuen.files.models import Purpose, StoredFile
from tsuen.files.services import Owner, store_upload
from tsuen.municipalities.models import rules_for
from tsuen.notices.kinds import Notice

OVERVIEW_DAYS = 28
PROFILE_FIELDS = (
    "facility_type",
    "phone",
    "opens_at",
    "closes_at",
    "fee_per_hour",
    "meal_fee",
    "snack_fee",
    "what_to_bring",
    "access",
    "accepts_class_0",
    "accepts_class_1",
    "accepts_class_2",
    "offers_regular",
    "offers_flexible",
    "medical_care_support",
    "allergy_support",
    "notice_email",
)


class StaffRefused(ValidationError):
    """A facility-side change is refused; the message says why. Nothing was written."""


def facility_of(user, action: Action) -> Facility:
    """The user's own facility, if ``action`` on it is allowed; 404 otherwise."""
    facility_id = getattr(user, "facility_id", None)
    if not user.is_authenticated or not facility_id:
        raise Http404
    return get_or_404(user, action, Facility.objects.all(), pk=facility_id)


# --- profile -----------------------------------------------------------------------------------


def update_profile(manager, changes: dict) -> Facility:
    """Save the profile fields in ``changes`` (keys from ``PROFILE_FIELDS``), checked by the
    same rules as the ward's register (ages, uses, hours...)."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not profile fields: {sorted(unknown)}")
    with transaction.atomic():
        facility = facility_of(manager, Action.FACILITY_MANAGE)
        facility = Facility.objects.select_for_update().get(pk=facility.pk)
        current = {name: getattr(facility, name) for name in REGISTER_FIELDS}
        problems = facility_problems(current | changes)
        problems += template_outside(facility, current | changes)
        if changes.get("notice_email"):
            try:
                validate_email(changes["notice_email"])
            except ValidationError:
                problems.append(_("Enter the email address for notices as name@example.jp."))
        if problems:
            raise StaffRefused(problems)
        for name, value in changes.items():
            setattr(facility, name, value)
        facility.save(update_fields=list(changes))
        record("update", facility, fields=list(changes))
    return facility


def template_outside(facility: Facility, values: dict) -> list[str]:
    """New opening hours must still hold every slot of the weekly template."""
    opens, closes = values.get("opens_at"), values.get("closes_at")
    if not (opens and closes):
        return []
    outside = PlaceTemplate.objects.filter(facility=facility).filter(
        Q(starts_at__lt=opens) | Q(ends_at__gt=closes)
    )
    return [
        _(
            "The weekly template has a slot outside these hours (%(weekday)s %(start)s to "
            "%(end)s): change or remove it first."
        )
        % {
            "weekday": WEEKDAYS[slot.weekday - 1],
            "start": _hm(slot.starts_at),
            "end": _hm(slot.ends_at),
        }
        for slot in outside.order_by("weekday", "starts_at")[:3]
    ]


def update_bank_account(manager, values: dict) -> Facility:
    """Save the account the ward pays the claims into (振込先, ``BANK_FIELDS``): every part or
    none, the number seven digits, the holder in katakana. Audited with the fields changed."""
    unknown = set(values) - set(BANK_FIELDS)
    if unknown:
        raise ValueError(f"not bank fields: {sorted(unknown)}")
    values = {name: _normalised(values.get(name)) for name in BANK_FIELDS}
    if values["bank_account_holder"]:
        values["bank_account_holder"] = values["bank_account_holder"].upper()
    problems = bank_problems(values)
    if problems:
        raise StaffRefused(problems)
    with transaction.atomic():
        facility = facility_of(manager, Action.FACILITY_MANAGE)
        facility = Facility.objects.select_for_update().get(pk=facility.pk)
        changed = [name for name in BANK_FIELDS if getattr(facility, name) != values[name]]
        for name in changed:
            setattr(facility, name, values[name])
        if changed:
            facility.save(update_fields=changed)
            record("update", facility, fields=changed)
    return facility


def photos(manager) -> list[StoredFile]:
    facility = facility_of(manager, Action.FACILITY_MANAGE)
    return list(
        StoredFile.objects.filter(facility=facility, purpose=Purpose.FACILITY_PHOTO).order_by("pk")
    )


def add_photo(manager, upload) -> StoredFile:
    """Store a photo through the one upload path. Raises ``UploadRefused``."""
    facility = facility_of(manager, Action.FACILITY_MANAGE)
    return store_upload(
        manager,
        upload,
        purpose=Purpose.FACILITY_PHOTO,
        owner=Owner(facility.municipality_id, facility_id=facility.pk),
    )


def delete_photo(manager, file_id: int) -> None:
    facility = facility_of(manager, Action.FACILITY_MANAGE)
    with transaction.atomic():
        try:
            photo = StoredFile.objects.select_for_update().get(
                pk=file_id, facility=facility, purpose=Purpose.FACILITY_PHOTO
            )
        except StoredFile.DoesNotExist:
            raise Http404 from None
        record("delete", photo, fields=["original_name"])
        photo.delete()  # its encrypted bytes go with it (files.StoredFileBlob, CASCADE)


# --- staff accounts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Team:
    facility: Facility
    members: list
    invitations: list[StaffInvitation]


def team(manager) -> Team:
    from tsuen.accounts.models import User

    facility = facility_of(manager, Action.STAFF_MANAGE)
    members = list(
        filter_allowed(manager, Action.STAFF_MANAGE, User.objects.filter(facility=facility))
        .order_by("email")
        .only("pk", "email", "role", "is_active", "facility_id")
    )
    now = clock.now()
    invitations = list(
        StaffInvitation.objects.filter(
            facility=facility, accepted_at__isnull=True, expires_at__gt=now
        ).order_by("-created_at")
    )
    record_many("list", members, fields=["email", "role", "is_active"])
    return Team(facility, members, invitations)


#: The facility's invitations are the shared staff invitations (``accounts.invitations``).
StaffInvited = Issued
_ASK_MANAGER = gettext_lazy("Ask your manager for a new one.")


def invite_staff(manager, email: str, role: str) -> StaffInvited:
    return send_invitation(manager, lambda: facility_of(manager, Action.STAFF_MANAGE), email, role)


def send_invitation(inviter, facility_in_reach, email: str, role: str) -> StaffInvited:
    """Invite ``email`` to ``role`` at the facility that ``facility_in_reach()`` answers
    (authorized by the caller: the facility's manager, or its ward's administrator). The email
    carries a one-use link; an address that already has an account is refused."""
    from tsuen.accounts.models import Role

    if role not in (Role.FACILITY_STAFF, Role.FACILITY_MANAGER):
        raise StaffRefused(_("Choose staff or manager."))
    try:
        with transaction.atomic():
            facility = facility_in_reach()
            return invitations.issue(
                StaffInvitation,
                inviter,
                email=email,
                role=role,
                roles=(Role.FACILITY_STAFF, Role.FACILITY_MANAGER),
                notice=Notice.STAFF_INVITATION,
                accept_route="facilities:staff_invite_accept",
                notice_context={"facility_name": facility.name},
                facility=facility,
            )
    except invitations.InvitationRefused as refused:
        raise StaffRefused(refused.messages) from None


def invitation_for(token: str) -> StaffInvitation:
    """The open invitation of ``token``; :class:`StaffRefused` says why it cannot be used."""
    try:
        return invitations.open_invitation(
            StaffInvitation.unscoped.select_related("facility"), token, ask=str(_ASK_MANAGER)
        )
    except invitations.InvitationRefused as refused:
        raise StaffRefused(refused.messages) from None


def accept_invitation(token: str, password: str, full_name: str = ""):
    """Create the account bound to the facility; the invitation is used up. The person must
    set up a second factor at the first login (StaffSecondFactorMiddleware)."""
    try:
        return invitations.accept(
            StaffInvitation.unscoped.select_related("facility"),
            token,
            password=password,
            full_name=full_name,
            ask=str(_ASK_MANAGER),
            organisation=lambda invitation: {"facility": invitation.facility},
        )
    except invitations.InvitationRefused as refused:
        raise StaffRefused(refused.messages) from None


def set_active(manager, user_id: int, active: bool):
    from tsuen.accounts.models import User
    from tsuen.accounts.services import end_sessions

    if user_id == manager.pk and not active:
        raise StaffRefused(_("You cannot deactivate your own account."))
    with transaction.atomic():
        facility = facility_of(manager, Action.STAFF_MANAGE)
        member = get_or_404(
            manager,
            Action.STAFF_MANAGE,
            User.objects.select_for_update().filter(facility=facility),
            pk=user_id,
        )
        member.is_active = active
        member.save(update_fields=["is_active"])
        # Every session of the account ends at its next request, and a reactivation does not
        # bring the old sessions back (as for the ward's staff).
        end_sessions(member)
        record(
            "update",
            member,
            fields=["is_active", "session_epoch"],
            municipality_id=facility.municipality_id,
        )
    return member


# --- places ------------------------------------------------------------------------------------


def ratios_for(facility: Facility, day: dt.date):
    """Children per adult by age class: the ward's policy, else the national defaults."""
    return rules_for(facility.municipality_id, day).staff_ratios


def over_ratio(places: int, staff: int, age_class: int, ratios) -> bool:
    """Whether ``places`` exceed what ``staff`` adults can care for (a warning only)."""
    return places > staff * int(ratios[age_class])


@dataclass
class TemplateRow:
    slot: PlaceTemplate
    warning: bool


@dataclass
class DayOverview:
    date: dt.date
    holiday: str
    closure: ClosureDay | None
    closed: str = ""  # why the facility is closed that day ("" when open)
    slots: list = field(default_factory=list)  # PlaceSlot with .booked


@dataclass
class PlacesOverview:
    facility: Facility
    template: list[TemplateRow]
    days: list[DayOverview]


def _with_booked(queryset):
    return queryset.annotate(
        booked=Count("bookings", filter=Q(bookings__status__in=HOLDING_STATUSES))
    )


def places_overview(manager, today: dt.date | None = None) -> PlacesOverview:
    facility = facility_of(manager, Action.PLACES_MANAGE)
    today = today or clock.today()
    last = today + dt.timedelta(days=OVERVIEW_DAYS - 1)
    ratios = ratios_for(facility, today)
    template = [
        TemplateRow(t, over_ratio(t.places, t.staff_planned, t.age_class, ratios))
        for t in PlaceTemplate.objects.filter(facility=facility)
    ]
    facts = calendar.day_facts(facility.pk, today, last)
    closures = {
        c.date: c for c in ClosureDay.objects.filter(facility=facility, date__range=(today, last))
    }
    slots = _with_booked(PlaceSlot.objects.filter(facility=facility, date__range=(today, last)))
    days = {
        day: DayOverview(day, fact.holiday, closures.get(day), calendar.why_closed(fact))
        for day, fact in facts.items()
    }
    for slot in slots:
        days[slot.date].slots.append(slot)
    return PlacesOverview(facility, template, list(days.values()))


def _hm(t: dt.time) -> str:
    return t.strftime("%H:%M")


def _outside_hours(facility: Facility, starts_at: dt.time, ends_at: dt.time) -> bool:
    opens, closes = facility.opens_at, facility.closes_at
    return bool(opens and closes and (starts_at < opens or ends_at > closes))


def add_template_slot(manager, **values) -> PlaceTemplate:
    """Add a slot to the weekly template: inside the facility's opening hours (when set), and
    not overlapping another slot of the same weekday and age class."""
    if values["ends_at"] <= values["starts_at"]:
        raise StaffRefused(_("The end time must be after the start time."))
    with transaction.atomic():
        facility = facility_of(manager, Action.PLACES_MANAGE)
        facility = Facility.objects.select_for_update().get(pk=facility.pk)
        if _outside_hours(facility, values["starts_at"], values["ends_at"]):
            raise StaffRefused(
                _("The facility is open from %(opens)s to %(closes)s: the slot must fit inside.")
                % {"opens": _hm(facility.opens_at), "closes": _hm(facility.closes_at)}
            )
        overlapping = (
            PlaceTemplate.objects.filter(
                facility=facility,
                weekday=values["weekday"],
                age_class=values["age_class"],
                starts_at__lt=values["ends_at"],
                ends_at__gt=values["starts_at"],
            )
            .order_by("starts_at")
            .first()
        )
        if overlapping is not None:
            raise StaffRefused(
                _(
                    "This weekday already has a slot for this age class from %(start)s to "
                    "%(end)s: slots must not overlap."
                )
                % {"start": _hm(overlapping.starts_at), "end": _hm(overlapping.ends_at)}
            )
        slot = PlaceTemplate.objects.create(facility=facility, **values)
        record("create", slot, fields=list(values))
    return slot


@dataclass(frozen=True)
class TemplateDeleteEffects:
    """What removing a row of the weekly template does: new days get no such slot; the
    slots already made from it (and their bookings) stay. ``token`` is what the confirmation
    posts back."""

    template: PlaceTemplate
    future_slots: int
    future_bookings: int
    token: str


def template_delete_effects(manager, template_id: int) -> TemplateDeleteEffects:
    """What :func:`delete_template_slot` would do now (nothing is written)."""
    slot = get_or_404(manager, Action.PLACES_MANAGE, PlaceTemplate.objects.all(), pk=template_id)
    made = PlaceSlot.objects.filter(
        facility_id=slot.facility_id,
        date__gte=clock.today(),
        date__iso_week_day=slot.weekday,
        starts_at=slot.starts_at,
        age_class=slot.age_class,
    )
    bookings = Booking.objects.filter(place_slot__in=made, status__in=HOLDING_STATUSES).count()
    values = (slot.weekday, slot.starts_at, slot.ends_at, slot.age_class, slot.places)
    return TemplateDeleteEffects(
        slot, made.count(), bookings, confirm.token("template_delete", slot.pk, values)
    )


def delete_template_slot(manager, template_id: int, *, confirm_token: str | None = None) -> None:
    """Remove a row of the weekly template. Refused unless ``confirm_token`` is the token of
    the effects shown (:func:`template_delete_effects`) and the row is unchanged."""
    with transaction.atomic():
        effects = template_delete_effects(manager, template_id)
        confirm.require(confirm_token, effects.token)
        slot = effects.template
        record("delete", slot, fields=["weekday", "starts_at", "age_class"])
        slot.delete()


def generate_places(manager, first_day: dt.date, last_day: dt.date) -> list[PlaceSlot]:
    """Make the days' slots from the weekly template, first_day..last_day. Days the facility
    is closed (``facilities.calendar``: closure days, national holidays it has not opened) are
    skipped, and so is any day that already has slots: running it twice changes nothing. Past
    days are refused: their places can no longer be booked."""
    if first_day < clock.today():
        raise StaffRefused(_("Places cannot be made for days that have passed."))
    if last_day < first_day:
        raise StaffRefused(_("The last day must not be before the first day."))
    if (last_day - first_day).days > 366:
        raise StaffRefused(_("Generate at most one year at a time."))
    with transaction.atomic():
        facility = facility_of(manager, Action.PLACES_MANAGE)
        facility = Facility.objects.select_for_update().get(pk=facility.pk)
        template: dict[int, list[PlaceTemplate]] = {}
        for t in PlaceTemplate.objects.filter(facility=facility):
            template.setdefault(t.weekday, []).append(t)
        closed = calendar.closed_days(facility.pk, first_day, last_day)
        taken = set(
            PlaceSlot.objects.filter(
                facility=facility, date__range=(first_day, last_day)
            ).values_list("date", flat=True)
        )
        new = []
        day = first_day
        while day <= last_day:
            if day not in closed and day not in taken:
                new.extend(
                    PlaceSlot(
                        facility=facility,
                        date=day,
                        starts_at=t.starts_at,
                        ends_at=t.ends_at,
                        age_class=t.age_class,
                        capacity=t.places,
                    )
                    for t in template.get(day.isoweekday(), ())
                )
            day += dt.timedelta(days=1)
        created = PlaceSlot.objects.bulk_create(new)
        if created:
            record_many("create", created, fields=["date", "starts_at", "age_class", "capacity"])
    return created


@dataclass
class DayPlaces:
    facility: Facility
    date: dt.date
    holiday: str
    closure: ClosureDay | None
    slots: list  # PlaceSlot with .booked and .warning
    staff_by_slot: dict
    closed: str = ""  # why the facility is closed that day ("" when open)


def day_places(manager, day: dt.date) -> DayPlaces:
    facility = facility_of(manager, Action.PLACES_MANAGE)
    ratios = ratios_for(facility, day)
    staff = {
        (t.starts_at, t.age_class): t.staff_planned
        for t in PlaceTemplate.objects.filter(facility=facility, weekday=day.isoweekday())
    }
    slots = list(_with_booked(PlaceSlot.objects.filter(facility=facility, date=day)))
    for slot in slots:
        planned = staff.get((slot.starts_at, slot.age_class))
        slot.staff_planned = planned
        slot.warning = planned is not None and over_ratio(
            slot.capacity, planned, slot.age_class, ratios
        )
    facts = calendar.day_facts(facility.pk, day, day)[day]
    closure = ClosureDay.objects.filter(facility=facility, date=day).first()
    return DayPlaces(
        facility, day, facts.holiday, closure, slots, staff, calendar.why_closed(facts)
    )


def set_capacity(manager, slot_id: int, capacity: int) -> PlaceSlot:
    """A single-day exception: one slot's places. Never below the places taken (bookings, and
    places held for a waitlist offer); places added are offered to the slot's waitlist."""
    if capacity < 0:
        raise StaffRefused(_("Places cannot be negative."))
    with transaction.atomic():
        slot = get_or_404(
            manager, Action.PLACES_MANAGE, PlaceSlot.objects.select_for_update(), pk=slot_id
        )
        if slot.date < clock.today():
            raise StaffRefused(_("The places of a day that has passed cannot be changed."))
        taken = slot.capacity - waitlist.places_left(slot)
        if capacity < taken:
            raise StaffRefused(
                _(
                    "%(booked)d places are already booked in this slot: the places cannot be "
                    "fewer. Cancel bookings on the day screen first."
                )
                % {"booked": taken}
            )
        added = capacity > slot.capacity
        slot.capacity = capacity
        slot.save(update_fields=["capacity"])
        record("update", slot, fields=["capacity"])
        if added:
            transaction.on_commit(lambda: place_freed.send(sender=PlaceSlot, place_slot=slot))
    return slot


def _bookings_on(facility, day: dt.date) -> int:
    return Booking.unscoped.filter(facility=facility, date=day, status__in=HOLDING_STATUSES).count()


def _refuse_if_booked(facility, day: dt.date) -> None:
    booked = _bookings_on(facility, day)
    if booked:
        raise StaffRefused(
            _(
                "%(count)d bookings are made for this day. Cancel them on the day screen "
                "first (the families are told), then close the day."
            )
            % {"count": booked}
        )


def add_closure(manager, day: dt.date, reason: str = "") -> ClosureDay:
    """Close a day, today or later. A day with bookings is refused: the manager cancels them
    first on the day screen (the families are told), never silently here."""
    if day < clock.today():
        raise StaffRefused(_("A day that has passed cannot be closed."))
    with transaction.atomic():
        facility = facility_of(manager, Action.PLACES_MANAGE)
        facility = Facility.objects.select_for_update().get(pk=facility.pk)
        _refuse_if_booked(facility, day)
        if ClosureDay.objects.filter(facility=facility, date=day).exists():
            raise StaffRefused(_("This day is already closed."))
        closure = ClosureDay.objects.create(facility=facility, date=day, reason=reason)
        record("create", closure, fields=["date", "reason"])
    return closure


def remove_closure(manager, closure_id: int) -> None:
    with transaction.atomic():
        closure = get_or_404(manager, Action.PLACES_MANAGE, ClosureDay.objects.all(), pk=closure_id)
        if closure.date < clock.today():
            raise StaffRefused(_("A day that has passed cannot be opened again."))
        record("delete", closure, fields=["date"])
        closure.delete()


def closures(manager) -> list[ClosureDay]:
    facility = facility_of(manager, Action.PLACES_MANAGE)
    return list(
        ClosureDay.objects.filter(facility=facility, date__gte=clock.today()).order_by("date")
    )


def open_holiday(manager, day: dt.date, reason: str = "") -> HolidayOpening:
    """Open the facility on a national holiday (closed otherwise): its places can then be made
    from the template and booked. Only a national holiday, today or later."""
    if not calendar.holiday_name(day):
        raise StaffRefused(
            _("%(date)s is not a national holiday: the facility is open unless you close it.")
            % {"date": date_jp(day)}
        )
    if day < clock.today():
        raise StaffRefused(_("A day that has passed cannot be opened."))
    with transaction.atomic():
        facility = facility_of(manager, Action.PLACES_MANAGE)
        facility = Facility.objects.select_for_update().get(pk=facility.pk)
        if ClosureDay.objects.filter(facility=facility, date=day).exists():
            raise StaffRefused(_("This day is on your closure list: open it again there first."))
        if HolidayOpening.objects.filter(facility=facility, date=day).exists():
            raise StaffRefused(_("The facility already opens on this holiday."))
        opening = HolidayOpening.objects.create(facility=facility, date=day, reason=reason)
        record("create", opening, fields=["date", "reason"])
    return opening


def remove_holiday_opening(manager, opening_id: int) -> None:
    """Close an opened holiday again: refused while bookings are made for it, or once past."""
    with transaction.atomic():
        opening = get_or_404(
            manager, Action.PLACES_MANAGE, HolidayOpening.objects.all(), pk=opening_id
        )
        if opening.date < clock.today():
            raise StaffRefused(_("A day that has passed cannot be closed."))
        _refuse_if_booked(opening.facility, opening.date)
        record("delete", opening, fields=["date"])
        opening.delete()


def holiday_openings(manager) -> list[HolidayOpening]:
    facility = facility_of(manager, Action.PLACES_MANAGE)
    return list(
        HolidayOpening.objects.filter(facility=facility, date__gte=clock.today()).order_by("date")
    )


def upcoming_holidays(manager, today: dt.date | None = None) -> list[tuple[dt.date, str]]:
    """The national holidays of the coming year that the facility has not opened."""
    facility = facility_of(manager, Action.PLACES_MANAGE)
    today = today or clock.today()
    holidays = calendar.holidays_between(today, today + dt.timedelta(days=365))
    opened = set(
        HolidayOpening.objects.filter(facility=facility, date__in=list(holidays)).values_list(
            "date", flat=True
        )
    )
    return [(day, name) for day, name in sorted(holidays.items()) if day not in opened]


# --- interviews --------------------------------------------------------------------------------

#: The first-visit adder needs an interview of at least this many minutes.
FIRST_VISIT_MINUTES = 30


@dataclass
class InterviewDesk:
    facility: Facility
    slots: list  # InterviewSlot with .requests
    requests: list[Interview]
    decided: list[Interview]


def interview_desk(staff) -> InterviewDesk:
    from tsuen.facilities.models import InterviewStatus

    facility = facility_of(staff, Action.INTERVIEW_SLOT_MANAGE)
    slots = list(
        InterviewSlot.objects.filter(facility=facility, starts_at__gte=clock.now())
        .annotate(requests=Count("interviews"))
        .order_by("starts_at")
    )
    interviews = filter_allowed(
        staff,
        Action.INTERVIEW_DECIDE,
        Interview.objects.filter(facility=facility).select_related("child", "slot"),
    ).order_by("-requested_at")
    # Every open request, and the latest 50 decisions (not the facility's whole history).
    requests = list(interviews.filter(status=InterviewStatus.REQUESTED))
    decided = list(interviews.exclude(status=InterviewStatus.REQUESTED)[:50])
    shown = requests + decided
    if shown:
        record_many("list", shown, fields=["status", "held_minutes"])
        record_many(
            "list",
            [i.child for i in shown],
            fields=["family_name", "given_name"],
        )
    add_interview_details(staff, requests)
    return InterviewDesk(facility, slots, requests, decided)


#: What the interview desk shows of a child and its guardians (issue 10).
INTERVIEW_CHILD_FIELDS = ("birth_date", "allergies", "medical_care")
INTERVIEW_GUARDIAN_FIELDS = ("family_name", "given_name", "phone")


@dataclass(frozen=True)
class InterviewDetails:
    """What the facility needs to prepare a first interview."""

    age_class: int | None  # on the interview's day (or today, without a slot)
    certification: object | None  # the active certification the facility may see
    care: bool  # whether the care needs below may be shown (Action.CHILD_CARE_VIEW)
    allergies: list
    medical_care: bool | None
    guardians: list  # those whose phone the facility may see (INTERVIEW_GUARDIAN_CONTACT)


def add_interview_details(staff, interviews: list[Interview]) -> None:
    """Set ``details`` (:class:`InterviewDetails`) on each interview: the child's age class,
    certification, allergies and medical-care need, and the guardians' phones -- each read
    only as far as the policy allows, and recorded in the audit log. A fixed number of
    queries whatever the number of interviews."""
    from tsuen.certification.models import Certification, CertificationStatus
    from tsuen.families.models import Child, Guardian
    from tsuen.rules.age import age_class
    from tsuen.rules.periods import fiscal_year_of

    if not interviews:
        return
    child_ids = {i.child_id for i in interviews}
    cared = {
        c.pk: c
        for c in filter_allowed(staff, Action.CHILD_CARE_VIEW, Child.objects.all()).filter(
            pk__in=child_ids
        )
    }
    certifications = {
        c.child_id: c
        for c in filter_allowed(staff, Action.CERTIFICATION_VIEW, Certification.objects.all())
        .filter(child_id__in=child_ids, status=CertificationStatus.ACTIVE)
        .order_by("valid_from")
    }
    households = {i.child.household_id for i in interviews}
    guardians: dict[int, list] = {h: [] for h in households}
    for g in (
        filter_allowed(staff, Action.INTERVIEW_GUARDIAN_CONTACT, Guardian.objects.all())
        .filter(household_id__in=households)
        .order_by("-is_primary", "pk")
    ):
        guardians[g.household_id].append(g)
    today = clock.today()
    for interview in interviews:
        child = interview.child
        day = timezone.localdate(interview.slot.starts_at) if interview.slot_id else today
        try:
            klass = age_class(child.birth_date, fiscal_year_of(day))
        except ValueError:
            klass = None
        care = cared.get(child.pk)
        interview.details = InterviewDetails(
            age_class=klass,
            certification=certifications.get(child.pk),
            care=care is not None,
            allergies=list(care.allergies or []) if care is not None else [],
            medical_care=care.medical_care if care is not None else None,
            guardians=guardians.get(child.household_id, []),
        )
    record_many("read", list(cared.values()), fields=INTERVIEW_CHILD_FIELDS)
    record_many("read", list(certifications.values()), fields=["status", "valid_to"])
    shown_guardians = [g for gs in guardians.values() for g in gs]
    record_many("read", shown_guardians, fields=INTERVIEW_GUARDIAN_FIELDS)


def add_interview_slot(
    staff, starts_at: dt.datetime, ends_at: dt.datetime, capacity: int = 1
) -> InterviewSlot:
    if ends_at <= starts_at:
        raise StaffRefused(_("The end time must be after the start time."))
    if starts_at <= clock.now():
        raise StaffRefused(_("An interview slot must be in the future."))
    if capacity < 1:
        raise StaffRefused(_("A slot needs room for at least one family."))
    with transaction.atomic():
        facility = facility_of(staff, Action.INTERVIEW_SLOT_MANAGE)
        closed = calendar.closed_reason(facility.pk, timezone.localdate(starts_at))
        if closed:
            raise StaffRefused(
                _("The facility is closed on this day (%(reason)s).") % {"reason": closed}
            )
        slot = InterviewSlot.objects.create(
            facility=facility, starts_at=starts_at, ends_at=ends_at, capacity=capacity
        )
        record("create", slot, fields=["starts_at", "ends_at", "capacity"])
    return slot


def delete_interview_slot(staff, slot_id: int) -> None:
    with transaction.atomic():
        slot = get_or_404(
            staff,
            Action.INTERVIEW_SLOT_MANAGE,
            InterviewSlot.objects.select_for_update(),
            pk=slot_id,
        )
        if slot.starts_at <= clock.now():
            raise StaffRefused(_("A past interview slot cannot be deleted."))
        if Interview.unscoped.filter(slot=slot).exists():
            raise StaffRefused(_("Families have asked for this slot: it cannot be deleted."))
        record("delete", slot, fields=["starts_at"])
        slot.delete()


def interview_for_decision(staff, interview_id: int) -> Interview:
    interview = get_or_404(
        staff,
        Action.INTERVIEW_DECIDE,
        Interview.objects.select_related("child", "slot", "facility"),
        pk=interview_id,
    )
    record("read", interview, fields=["status", "held_minutes", "notes"])
    record("read", interview.child, fields=["family_name", "given_name"])
    add_interview_details(staff, [interview])
    return interview
