"""After certification (issue 5): verifying the household's fee class, ending certifications.

Ward staff (reviewer or administrator of the household's municipality) act through
:func:`set_fee_class` and :func:`end_certification`; the daily command
``end_aged_out_certifications`` calls :func:`end_expired` inside ``tenancy.cross_tenant``.
See docs/certification-lifecycle.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tsuen.audit import record, record_many
from tsuen.authz.policy import Action, allows, filter_allowed, get_or_404, require
from tsuen.booking.models import Booking, BookingStatus
from tsuen.booking.signals import place_freed
from tsuen.certification import changes
from tsuen.certification.models import (
    Certification,
    CertificationStatus,
    CertificationStatusChange,
    ChangeKind,
    EndReason,
)
from tsuen.core import clock, dates
from tsuen.core.kana import normalise_kana
from tsuen.core.templatetags.tsuen import date_jp
from tsuen.families.models import Child, FeeClass, Household, HouseholdFeeClass
from tsuen.families.services import family_accounts
from tsuen.notices.kinds import Notice
from tsuen.notices.services import notify
from tsuen.webhooks import outbox
from tsuen.webhooks.models import EventType

#: What the ward's pages show of a certificate.
CERTIFICATE_FIELDS = ("number", "valid_from", "valid_to", "status", "ended_on")
#: Reasons staff may give; ageing out is the daily command's.
STAFF_END_REASONS = (EndReason.MOVED_OUT, EndReason.EXCLUDED_ENROLMENT, EndReason.REQUESTED)


class LifecycleInvalid(ValidationError):
    """The step is refused; ``messages`` say why, in the user's language."""


@dataclass(frozen=True)
class FeeClassPage:
    child: Child
    rows: list[HouseholdFeeClass]
    certifications: list[Certification]  # each with ``changes`` (its status history)
    can_verify: bool  # the reviewer and the administrator; the payments officer reads only
    can_end: bool = False  # an active certification, and a reviewer or administrator


def _child(staff, child_id: int) -> Child:
    """The child, when ``staff`` may verify its household's fee class; 404 otherwise."""
    child = get_or_404(
        staff, Action.CHILD_VIEW, Child.objects.select_related("household"), pk=child_id
    )
    get_or_404(staff, Action.HOUSEHOLD_FEE_CLASS_VERIFY, Household.objects, pk=child.household_id)
    return child


def fee_classes_for(staff, child_id: int) -> FeeClassPage:
    """The ward's page of a child's payment facts: its certificates (number, validity) and its
    household's fee classes with their validity, oldest first (``FEE_CLASS_DESK_VIEW``: the
    ward's case workers, the payments officer included). No care record. The read is audited."""
    child = get_or_404(
        staff, Action.CHILD_VIEW, Child.objects.select_related("household"), pk=child_id
    )
    household = get_or_404(
        staff, Action.FEE_CLASS_DESK_VIEW, Household.objects, pk=child.household_id
    )
    rows = list(
        HouseholdFeeClass.objects.filter(household_id=child.household_id).order_by(
            "valid_from", "pk"
        )
    )
    certifications = list(
        filter_allowed(
            staff, Action.CERTIFICATION_VIEW, Certification.objects.filter(child=child)
        ).order_by("-valid_from", "-pk")
    )
    changes: dict[int, list] = {c.pk: [] for c in certifications}
    for change in CertificationStatusChange.objects.filter(
        certification_id__in=list(changes)
    ).order_by("at", "pk"):
        changes[change.certification_id].append(change)
    for certification in certifications:
        certification.changes = changes[certification.pk]
    record("read", child, fields=("family_name", "given_name", "birth_date"))
    for row in rows:
        record("read", row, fields=("fee_class", "valid_from", "valid_to"), subjects=[child])
    for certification in certifications:
        record("read", certification, fields=(*CERTIFICATE_FIELDS, "end_reason"))
    can_verify = allows(staff, Action.HOUSEHOLD_FEE_CLASS_VERIFY, household)
    can_end = any(
        c.status == CertificationStatus.ACTIVE and allows(staff, Action.CERTIFICATION_END, c)
        for c in certifications
    )
    return FeeClassPage(child, rows, certifications, can_verify, can_end)


# --- The ward's list of certified children ----------------------------------------------------

CHILDREN_PAGE_SIZE = 50


@dataclass(frozen=True)
class ChildrenFilters:
    text: str = ""  # certificate number, name or reading (several words: all must match)
    facility: int | None = None  # children booked or interviewed at this facility
    include_ended: bool = False


def _word_matches(word: str) -> Q:
    q = (
        Q(number__icontains=word)
        | Q(child__family_name__contains=word)
        | Q(child__given_name__contains=word)
    )
    try:
        kana = normalise_kana(word).replace("\u3000", "")
    except ValidationError:
        return q
    return q | Q(child__family_name_kana__contains=kana) | Q(child__given_name_kana__contains=kana)


def ward_facilities(staff) -> list:
    """The ward's facilities, for the list's facility filter (by reading)."""
    from tsuen.facilities.models import Facility

    return list(
        filter_allowed(staff, Action.FACILITY_WARD_VIEW, Facility.objects.all())
        .order_by("name_kana", "name", "pk")
        .only("pk", "name")
    )


def may_list_children(staff) -> None:
    """404 unless ``staff`` is one of the ward's case workers (the list of certified children)."""
    require(staff, Action.FEE_CLASS_DESK_VIEW, Household)


def certified_children(staff, filters: ChildrenFilters, page: int | str = 1):
    """The ward's certified children, one certificate per row (the current ones; with
    ``include_ended`` the ended ones too), by reading. For the ward's case workers only (404 for
    everyone else). Only the page's rows are read, and each is recorded in the audit log."""
    from django.core.paginator import Paginator

    from tsuen.families.services import LIST_FIELDS

    may_list_children(staff)
    certifications = filter_allowed(
        staff,
        Action.CERTIFICATION_VIEW,
        Certification.objects.select_related("child"),
    )
    if not filters.include_ended:
        certifications = certifications.filter(status=CertificationStatus.ACTIVE)
    for word in filters.text.replace("\u3000", " ").split()[:5]:
        certifications = certifications.filter(_word_matches(word))
    if filters.facility:
        from tsuen.facilities.models import Interview

        booked = Booking.objects.filter(facility_id=filters.facility).values("child_id")
        interviewed = Interview.objects.filter(facility_id=filters.facility).values("child_id")
        certifications = certifications.filter(Q(child_id__in=booked) | Q(child_id__in=interviewed))
    ordered = certifications.order_by(
        "child__family_name_kana", "child__given_name_kana", "child_id", "-valid_from", "-pk"
    )
    result = Paginator(ordered, CHILDREN_PAGE_SIZE).get_page(page)
    rows = list(result.object_list)
    result.object_list = rows
    record_many("list", [c.child for c in rows], fields=LIST_FIELDS)
    record_many("list", rows, fields=CERTIFICATE_FIELDS)
    return result


def _overlaps(a_from: dt.date, a_to: dt.date | None, b_from: dt.date, b_to: dt.date | None):
    return (b_to is None or a_from <= b_to) and (a_to is None or b_from <= a_to)


def set_fee_class(
    staff, child_id: int, fee_class: str, valid_from: dt.date, valid_to: dt.date | None = None
) -> HouseholdFeeClass:
    """Confirm or change the household's fee class from ``valid_from`` (to ``valid_to``).

    A row starting on the same day is corrected in place (confirmed). An open-ended or longer
    row that started earlier is closed the day before ``valid_from`` when no later row follows
    it (the September switch); any other overlap is refused and nothing changes.
    """
    check_fee_class(fee_class, valid_from, valid_to)
    with transaction.atomic():
        child = _child(staff, child_id)
        household = Household.objects.select_for_update().get(pk=child.household_id)
        return write_fee_class(staff, household, fee_class, valid_from, valid_to)


def check_fee_class(fee_class: str, valid_from: dt.date, valid_to: dt.date | None) -> None:
    """Refuse an unknown class or a validity that ends before it starts."""
    if fee_class not in FeeClass.values:
        raise LifecycleInvalid(_("Choose a fee class."), code="fee_class")
    if valid_to is not None and valid_to < valid_from:
        raise LifecycleInvalid(
            _("The end of validity cannot be before its start."), code="dates_reversed"
        )


def write_fee_class(
    staff,
    household: Household,
    fee_class: str,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
) -> HouseholdFeeClass:
    """Write one fee-class decision for ``household`` (already locked and within the staff
    member's reach: :func:`set_fee_class`, and the tax system's bulk write-back in
    ``certification.ward_sync``). The rules of :func:`set_fee_class`; audited, and the
    household's certifications enter the ward systems' change feed. Call inside a
    transaction; raises :class:`LifecycleInvalid` (code ``overlap``) before writing anything."""
    check_fee_class(fee_class, valid_from, valid_to)
    rows = list(HouseholdFeeClass.objects.filter(household=household).order_by("valid_from", "pk"))
    now = clock.now()
    same_start = next((r for r in rows if r.valid_from == valid_from), None)
    closing = None
    later = [r for r in rows if r.valid_from > valid_from]
    earlier = [r for r in rows if r.valid_from < valid_from]
    if same_start is None and earlier and not later:
        last = earlier[-1]
        if last.valid_to is None or last.valid_to >= valid_from:
            closing = last
    others = [r for r in rows if r is not same_start and r is not closing]
    for r in others:
        if _overlaps(valid_from, valid_to, r.valid_from, r.valid_to):
            raise LifecycleInvalid(
                _(
                    "The validity overlaps the fee class valid from %(start)s to %(end)s. "
                    "Change that row first."
                )
                % {
                    "start": dates.date_text(r.valid_from),
                    "end": dates.date_text(r.valid_to) if r.valid_to else _("(open)"),
                },
                code="overlap",
            )
    children = list(household.children.all())
    if closing is not None:
        closing.valid_to = valid_from - dt.timedelta(days=1)
        closing.save(update_fields=["valid_to"])
        record("update", closing, fields=["valid_to"], subjects=children)
    row = same_start or HouseholdFeeClass(household=household, valid_from=valid_from)
    row.fee_class = fee_class
    row.valid_to = valid_to
    row.verified_by = staff
    row.verified_at = now
    row.save()
    record(
        "update" if same_start else "create",
        row,
        fields=["fee_class", "valid_from", "valid_to", "verified_by", "verified_at"],
        subjects=children,
    )
    changes.note_fee_class(household)
    for certification in Certification.objects.filter(
        child__household=household, status=CertificationStatus.ACTIVE
    ).order_by("pk"):
        outbox.certification_event(certification, "fee_class_changed")
    return row


# --- Ending a certification -------------------------------------------------------------------


def certification_for(staff, child_id: int) -> Certification:
    """The child's current (else latest) certification within the staff member's reach."""
    certification = (
        filter_allowed(
            staff,
            Action.CERTIFICATION_END,
            Certification.objects.select_related("child", "municipality"),
        )
        .filter(child_id=child_id)
        .order_by("-status", "-valid_from", "-pk")  # "ended" < "active": active first
        .first()
    )
    if certification is None:
        raise Http404
    record(
        "read",
        certification,
        fields=("number", "valid_from", "valid_to", "status", "ended_on", "end_reason"),
    )
    return certification


class ClaimsAffected(LifecycleInvalid):
    """The end date leaves visits of submitted claims uncertified: confirm first."""


def submitted_claims_after(child_id: int, last_day: dt.date) -> list:
    """The submitted (queried, approved or paid) claims holding visits of the child after
    ``last_day``: (facility name, year, month), each once, oldest month first."""
    from tsuen.billing.models import ClaimLine, ClaimStatus

    sent = (ClaimStatus.SUBMITTED, ClaimStatus.QUERIED, ClaimStatus.APPROVED, ClaimStatus.PAID)
    return list(
        ClaimLine.unscoped.filter(child_id=child_id, date__gt=last_day, claim__status__in=sent)
        .values_list("claim__facility__name", "claim__year", "claim__month")
        .distinct()
        .order_by("claim__year", "claim__month", "claim__facility__name")
    )


def _claims_text(claims: list) -> str:
    from tsuen.billing.services import month_label

    return "、".join(f"{name} ({month_label(year, month)})" for name, year, month in claims)


def end_certification(
    staff, child_id: int, reason: str, ended_on: dt.date, *, confirmed: bool = False
) -> Certification:
    """End the child's active certification on ``ended_on`` (the last certified day).

    The bookings after ``ended_on`` that have not started are cancelled (hours returned, the
    family told). An end date still to come shortens the validity and keeps the certification
    active until then; the daily command then marks it ended. When visits after ``ended_on``
    are in a submitted claim, :class:`ClaimsAffected` names the claims unless ``confirmed``
    (the ward's review will then flag those visits as not certified).
    """
    if reason not in STAFF_END_REASONS:
        raise LifecycleInvalid(_("Choose the reason for ending the certification."))
    with transaction.atomic():
        certification = (
            filter_allowed(
                staff, Action.CERTIFICATION_END, Certification.objects.select_for_update()
            )
            .filter(child_id=child_id, status=CertificationStatus.ACTIVE)
            .first()
        )
        if certification is None:
            # Out of reach answers 404; in reach but nothing active is a clear message.
            if (
                not filter_allowed(staff, Action.CERTIFICATION_END, Certification.objects)
                .filter(child_id=child_id)
                .exists()
            ):
                raise Http404
            raise LifecycleInvalid(_("This child has no active certification to end."))
        if ended_on < certification.valid_from or ended_on > certification.valid_to:
            raise LifecycleInvalid(
                _("The end date must lie within the certification (%(start)s to %(end)s).")
                % {
                    "start": dates.date_text(certification.valid_from),
                    "end": dates.date_text(certification.valid_to),
                }
            )
        claims = submitted_claims_after(certification.child_id, ended_on)
        if claims and not confirmed:
            raise ClaimsAffected(
                _(
                    "Visits after %(day)s are in claims already submitted: %(claims)s. Ending "
                    "the certification on that day leaves them without a certification (the "
                    "claim review will flag them). Confirm to end it anyway."
                )
                % {"day": date_jp(ended_on), "claims": _claims_text(claims)},
                code="claims_submitted",
            )
        certification.valid_to = ended_on
        certification.ended_on = ended_on
        certification.end_reason = reason
        fields = ["valid_to", "ended_on", "end_reason"]
        if ended_on < clock.today():
            _mark_ended(certification, staff)
            fields.append("status")
        certification.save()
        record("update", certification, fields=fields)
        outbox.certification_event(certification, "ended")
        changes.note([certification], ChangeKind.VALIDITY)
        if certification.status == CertificationStatus.ENDED:
            changes.note([certification], ChangeKind.STATUS)
        tell_family(certification, cancel_bookings_after(certification))
    return certification


def _mark_ended(certification: Certification, by) -> None:
    certification.status = CertificationStatus.ENDED
    CertificationStatusChange.objects.create(
        certification=certification,
        to_status=CertificationStatus.ENDED,
        at=clock.now(),
        by=by,
        note=str(EndReason(certification.end_reason).label),
    )


def cancel_bookings_after(certification: Certification) -> list[Booking]:
    """Cancel the child's confirmed bookings after the certification's last day that have not
    started: the hours return (never counted). Call inside the transaction that ends the
    certification; :func:`tell_family` then lists them to the family. Each freed place is
    offered to the slot's waitlist once the ending has committed, as for any cancellation."""
    last_day = certification.ended_on or certification.valid_to
    bookings = list(
        Booking.objects.select_for_update()
        .select_related("facility", "place_slot")
        .filter(
            child_id=certification.child_id,
            status=BookingStatus.CONFIRMED,
            date__gt=last_day,
            starts_at__gt=clock.now(),
        )
        .order_by("starts_at", "pk")
    )
    now = clock.now()
    for booking in bookings:
        booking.status = BookingStatus.CANCELLED_BY_FACILITY
        booking.counts_toward_caps = False
        booking.cancelled_at = now
        booking.save(update_fields=["status", "counts_toward_caps", "cancelled_at"])
        record("update", booking, fields=("status", "counts_toward_caps", "cancelled_at"))
        outbox.booking_event(EventType.BOOKING_CANCELLED, booking, booking.facility)
    for slot in {b.place_slot_id: b.place_slot for b in bookings}.values():
        transaction.on_commit(
            lambda slot=slot: place_freed.send(sender=Booking, place_slot=slot, now=now)
        )
    return bookings


def tell_family(certification: Certification, cancelled: list[Booking]) -> None:
    """Queue the ``certification_ended`` notice to the household's guardians (on commit)."""
    child = certification.child
    applicant = certification.application.applicant if certification.application_id else None
    recipients = family_accounts(child.household_id, fallback=applicant)
    tz = timezone.get_current_timezone()
    lines = []
    for b in cancelled:
        start = timezone.localtime(b.starts_at, tz).strftime("%H:%M")
        end = timezone.localtime(b.ends_at, tz).strftime("%H:%M")
        # The day is written when the email is (each recipient's language and ward's style).
        lines.append({"facility": b.facility.name, "day": b.date, "start": start, "end": end})
    for recipient in recipients:
        notify(
            Notice.CERTIFICATION_ENDED,
            recipient,
            child_name=child.full_name,
            municipality_name=certification.municipality.name,
            last_day=certification.ended_on or certification.valid_to,
            reason=str(EndReason(certification.end_reason).label),
            cancelled=lines,
            path=reverse("booking:list"),
        )


def end_expired(today: dt.date | None = None) -> list[Certification]:
    """End every active certification whose validity is over (the daily command; idempotent).

    Run inside ``tenancy.cross_tenant``. Ageing out unless staff already gave a reason.
    """
    today = today or clock.today()
    ended = []
    ids = list(
        Certification.objects.filter(
            status=CertificationStatus.ACTIVE, valid_to__lt=today
        ).values_list("pk", flat=True)
    )
    for pk in ids:
        with transaction.atomic():
            certification = (
                Certification.objects.select_for_update()
                .select_related("child", "municipality")
                .filter(Q(pk=pk), status=CertificationStatus.ACTIVE)
                .first()
            )
            if certification is None:
                continue
            aged_out = not certification.end_reason  # staff already told the family otherwise
            certification.ended_on = certification.ended_on or certification.valid_to
            certification.end_reason = certification.end_reason or EndReason.AGED_OUT
            _mark_ended(certification, None)
            certification.save()
            record("update", certification, fields=["status", "ended_on", "end_reason"])
            outbox.certification_event(certification, "ended")
            changes.note([certification], ChangeKind.STATUS)
            cancelled = cancel_bookings_after(certification)
            if aged_out or cancelled:
                tell_family(certification, cancelled)
            ended.append(certification)
    return ended
