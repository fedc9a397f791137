"""The purge: find a ward's expired records per record class and delete them with what hangs
on them (dependent rows, uploaded files), never a held or unexpired record.

Which records belong to a ward: those of its households (and their children), the ward being
the one that pays for them. A facility's hold keeps every booking at the facility and its
records, whichever ward the child is from.

The same function makes the dry run: it deletes inside a transaction that is then rolled
back, so the counts are exactly those the real run would have (cascades included).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from tsuen.retention.schedule import DEFAULTS, RecordClass, cutoff

#: The order classes are purged in: what others point at goes last.
ORDER = (
    RecordClass.CARE_RECORDS,
    RecordClass.EVIDENCE_FILES,
    RecordClass.CLAIMS,
    RecordClass.BOOKINGS,
    RecordClass.APPLICATIONS,
    RecordClass.CERTIFICATIONS,
    RecordClass.FEE_CLASSES,
    RecordClass.HOUSEHOLDS,
    RecordClass.ACCOUNTS,
)

#: Where an anonymised account's address points: a reserved top-level domain (RFC 2606), so no
#: mail can ever reach anyone and the address stays unique.
CLOSED_DOMAIN = "closed.invalid"
#: What anonymising an account erases (the purge event names these fields, never values).
ERASED_ACCOUNT_FIELDS = ("email", "full_name", "password", "last_login")


def closed_address(pk: int) -> str:
    return f"closed-{pk}@{CLOSED_DOMAIN}"


@dataclass(frozen=True)
class Holds:
    households: frozenset[int] = frozenset()
    children: frozenset[int] = frozenset()
    facilities: frozenset[int] = frozenset()

    def child_q(self, path: str) -> Q:
        """Rows about a child that is held, or whose household is."""
        return Q(**{f"{path}__in": self.children}) | Q(
            **{f"{path}__household_id__in": self.households}
        )


@dataclass
class Outcome:
    """Rows deleted (or, in a dry run, that would be) per record class and model."""

    deleted: dict[str, Counter] = field(default_factory=dict)

    def add(self, record_class: RecordClass, counts: dict[str, int]) -> None:
        bucket = self.deleted.setdefault(record_class.value, Counter())
        for label, n in counts.items():
            if n:
                bucket[label] += n

    def as_json(self) -> dict[str, dict[str, int]]:
        return {c.value: dict(sorted(self.deleted.get(c.value, Counter()).items())) for c in ORDER}


def holds_of() -> Holds:
    """The live holds that keep records from the ward's purge: every ward's, since a ward's
    records may touch another ward's (its children at a facility there, held by that ward; a
    claim of a facility there). A hold names ids only: nothing of another ward is disclosed."""
    from tsuen.retention.models import LegalHold

    live = LegalHold.unscoped.filter(released_at__isnull=True)
    return Holds(
        households=frozenset(live.exclude(household=None).values_list("household_id", flat=True)),
        children=frozenset(live.exclude(child=None).values_list("child_id", flat=True)),
        facilities=frozenset(live.exclude(facility=None).values_list("facility_id", flat=True)),
    )


def _delete(queryset: QuerySet, audit: Callable[[list], None] | None) -> dict[str, int]:
    rows = list(queryset)
    if not rows:
        return {}
    if audit is not None:
        audit(rows)
    model = queryset.model
    _, counts = model._base_manager.filter(pk__in=[r.pk for r in rows]).delete()
    return counts


#: The care fields of a first interview (``care_record``) that are erased while its row stays.
INTERVIEW_CARE_FIELDS = ("notes", "message_to_family")


def _erase(interviews: list, audit) -> dict[str, int]:
    """Erase the interviews' notes and message to the family (a ``purge`` event each, naming
    the fields); counted as ``facilities.Interview.notes``."""
    if not interviews:
        return {}
    if audit is not None:
        audit(interviews, fields=INTERVIEW_CARE_FIELDS)
    for interview in interviews:
        for name in INTERVIEW_CARE_FIELDS:
            setattr(interview, name, "")
    type(interviews[0])._base_manager.bulk_update(interviews, INTERVIEW_CARE_FIELDS)
    return {"facilities.Interview.notes": len(interviews)}


#: The care fields on a child's row (``care_record`` in the data inventory), with their erased
#: value: erased 12 months after the child's eligibility ended while the household stays (a
#: sibling still in care); the identity fields (names, readings, birth date, sex:
#: ``family_record``) stay with the household, for the certifications, bookings and claims
#: kept. The disability and medical-care flags price the adders of the child's visits on a
#: claim and its corrections: they are erased (set to no) only once no booking of the child
#: is left (payment_5y).
CHILD_CARE_FIELDS = {
    "allergies": None,
    "meal_requirements": None,
    "illnesses": None,
    "vaccinations": None,
    "development_notes": None,
    "pickup_persons": [],
}
CHILD_CLAIM_FLAGS = {"disability": False, "medical_care": False}


def _erase_children(children: list, booked: set[int], audit) -> dict[str, int]:
    """Erase the care fields still holding a value on the children's rows (a ``purge`` event
    each, naming the fields erased); counted as ``families.Child.care``. A child with nothing
    left to erase is not counted again."""
    erased: dict[tuple[str, ...], list] = {}
    for child in children:
        fields = dict(CHILD_CARE_FIELDS)
        if child.pk not in booked:
            fields |= CHILD_CLAIM_FLAGS
        names = tuple(n for n in fields if getattr(child, n))
        if names:
            for name in names:
                setattr(child, name, fields[name])
            erased.setdefault(names, []).append(child)
    for names, rows in erased.items():
        if audit is not None:
            audit(rows, fields=names)
        type(rows[0])._base_manager.bulk_update(rows, names)
    return {"families.Child.care": sum(len(rows) for rows in erased.values())} if erased else {}


def _day_start(day: dt.date) -> dt.datetime:
    """The first moment after ``day`` ends (records closed before it have expired)."""
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))


def purge(municipality, periods: dict[RecordClass, int], today: dt.date, *, audit=None) -> Outcome:
    """Delete every expired, unheld record of the ward; return the counts.

    ``periods`` holds the ward's period per record class; ``audit(rows)`` is called with the
    rows of each query before they go (the real run records a ``purge`` event per record)."""
    from tsuen.attendance.models import Attendance, DailyRecord, MorningNote
    from tsuen.billing.models import ClaimLine
    from tsuen.booking.models import Booking, RegularUseRequest, WaitlistEntry
    from tsuen.certification.models import (
        Application,
        ApplicationStatus,
        Certification,
        CertificationStatus,
    )
    from tsuen.facilities.models import Interview
    from tsuen.families.models import Child, EmergencyContact, GrowthRecord, HouseholdFeeClass
    from tsuen.files.models import Purpose, StoredFile

    holds = holds_of()
    outcome = Outcome()
    cut = {c: cutoff(c, today, periods[c]) for c in RecordClass}

    def run(record_class: RecordClass, queryset: QuerySet) -> None:
        outcome.add(record_class, _delete(queryset, audit))

    # Care records: the children of the ward whose eligibility (their last certification)
    # ended on or before the cutoff, and who hold no certification still running.
    last_day = Coalesce(F("certifications__ended_on"), F("certifications__valid_to"))
    ended = (
        Child.unscoped.filter(household__municipality=municipality)
        .exclude(Q(pk__in=holds.children) | Q(household_id__in=holds.households))
        .annotate(last=Max(last_day))
        .filter(last__lte=cut[RecordClass.CARE_RECORDS])
        .exclude(
            Exists(
                Certification.unscoped.filter(
                    child=OuterRef("pk"),
                    status=CertificationStatus.ACTIVE,
                    valid_to__gt=cut[RecordClass.CARE_RECORDS],
                    ended_on__isnull=True,
                )
            )
        )
        .values_list("pk", flat=True)
    )
    ended_ids = list(ended)
    care = RecordClass.CARE_RECORDS
    run(
        care,
        DailyRecord.unscoped.filter(booking__child__in=ended_ids).exclude(
            booking__facility_id__in=holds.facilities
        ),
    )
    run(
        care,
        MorningNote.unscoped.filter(booking__child__in=ended_ids).exclude(
            booking__facility_id__in=holds.facilities
        ),
    )
    run(
        care,
        WaitlistEntry.unscoped.filter(child__in=ended_ids).exclude(
            place_slot__facility_id__in=holds.facilities
        ),
    )
    run(
        care,
        RegularUseRequest.unscoped.filter(child__in=ended_ids).exclude(
            facility_id__in=holds.facilities
        ),
    )
    run(care, GrowthRecord.unscoped.filter(child__in=ended_ids))
    run(care, EmergencyContact.unscoped.filter(child__in=ended_ids))
    run(care, StoredFile.unscoped.filter(child__in=ended_ids, purpose=Purpose.DOCTOR_CERTIFICATE))
    # First interviews stay with the household (their status, length and follow-up price the
    # first visit of a claim and its corrections): what the facility wrote is erased.
    interviews = Interview.unscoped.filter(child__in=ended_ids).exclude(
        facility_id__in=holds.facilities
    )
    outcome.add(care, _erase([i for i in interviews if i.notes or i.message_to_family], audit))

    # Fee-class evidence: files of the ward's applications decided on or before the cutoff
    # (the ward verified them then), unless an application still open refers to them.
    evidence_cut = _day_start(cut[RecordClass.EVIDENCE_FILES])
    # A file no application refers to any more (its application went first, under a shorter
    # period) goes once it is older than the period.
    referring = Application.unscoped.filter(fee_evidence=OuterRef("pk"))
    still_needed = referring.filter(Q(decided_at__isnull=True) | Q(decided_at__gte=evidence_cut))
    run(
        RecordClass.EVIDENCE_FILES,
        StoredFile.unscoped.filter(municipality=municipality, purpose=Purpose.FEE_EVIDENCE)
        .filter(Exists(referring) | Q(uploaded_at__lt=evidence_cut))
        .exclude(household_id__in=holds.households)
        .exclude(Exists(still_needed)),
    )

    # Claims the ward pays, as whole correction chains: the bookings they count are then on no
    # claim line and go below under their own rule (with the default periods, in this run).
    _purge_claims(municipality, holds, cut[RecordClass.CLAIMS], run)

    # Bookings (with their attendance, morning note and daily record) of the ward's children,
    # on a day on or before the cutoff, at a facility not held, and on no claim line: the
    # claims are the facility's payment records and keep the bookings they count.
    bookings = (
        Booking.unscoped.filter(
            child__household__municipality=municipality,
            date__lte=cut[RecordClass.BOOKINGS],
        )
        .exclude(holds.child_q("child"))
        .exclude(facility_id__in=holds.facilities)
        .exclude(Exists(ClaimLine.unscoped.filter(booking=OuterRef("pk"))))
    )
    booking_ids = list(bookings.values_list("pk", flat=True))
    outcome.add(
        RecordClass.BOOKINGS,
        Attendance.unscoped.filter(booking__in=booking_ids).delete()[1],
    )
    outcome.add(
        RecordClass.BOOKINGS,
        DailyRecord.unscoped.filter(booking__in=booking_ids).delete()[1],
    )
    run(RecordClass.BOOKINGS, Booking.unscoped.filter(pk__in=booking_ids))

    # Applications that led to no certification: closed when decided (rejected, withdrawn) or,
    # for a draft never sent, when last changed.
    app_cut = _day_start(cut[RecordClass.APPLICATIONS])
    closed = Q(
        status__in=[ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN],
        decided_at__lt=app_cut,
    ) | Q(status=ApplicationStatus.DRAFT, updated_at__lt=app_cut)
    unheld_apps = (
        Application.unscoped.filter(municipality=municipality)
        .exclude(household_id__in=holds.households)
        .exclude(children__child_id__in=holds.children)
    )
    run(
        RecordClass.APPLICATIONS,
        unheld_apps.filter(closed).filter(certifications__isnull=True).distinct(),
    )

    # Certifications that ended (or ran out) on or before the cutoff, with their status
    # history; then the applications behind them once no certification of theirs is left.
    cert_cut = cut[RecordClass.CERTIFICATIONS]
    certs = (
        Certification.unscoped.filter(municipality=municipality)
        .annotate(closed_on=Coalesce(F("ended_on"), F("valid_to")))
        .filter(closed_on__lte=cert_cut)
        .exclude(holds.child_q("child"))
    )
    run(RecordClass.CERTIFICATIONS, certs)
    run(
        RecordClass.CERTIFICATIONS,
        unheld_apps.filter(
            status=ApplicationStatus.CERTIFIED,
            decided_at__lt=_day_start(cert_cut),
            certifications__isnull=True,
        ).distinct(),
    )

    # Household fee classes whose validity ended on or before the cutoff.
    run(
        RecordClass.FEE_CLASSES,
        HouseholdFeeClass.unscoped.filter(
            household__municipality=municipality, valid_to__lte=cut[RecordClass.FEE_CLASSES]
        ).exclude(household_id__in=holds.households),
    )
    family_accounts = _purge_households(
        municipality, holds, cut[RecordClass.HOUSEHOLDS], cut[RecordClass.ACCOUNTS], run
    )
    # The care fields on the row of a child whose household stays (the children of the
    # households just purged are gone): after the bookings, whose pricing reads the flags.
    children = Child.unscoped.filter(pk__in=ended_ids).exclude(
        bookings__facility_id__in=holds.facilities
    )
    booked = set(Booking.unscoped.filter(child__in=ended_ids).values_list("child_id", flat=True))
    outcome.add(care, _erase_children(list(children), booked, audit))
    accounts = _closed_accounts(municipality, holds, cut[RecordClass.ACCOUNTS], family_accounts)
    outcome.add(RecordClass.ACCOUNTS, _anonymise(accounts, municipality, audit))
    for invitations in _ended_invitations(municipality, holds, cut[RecordClass.ACCOUNTS]):
        run(RecordClass.ACCOUNTS, invitations)
    return outcome


def _ended_invitations(municipality, holds: Holds, cut: dt.date) -> list[QuerySet]:
    """Invitations (each holds the address it was sent to) that ended on or before the cutoff
    (the ``account`` rule): used, withdrawn (a withdrawal ends it at once) or expired. The
    ward's staff invitations, its facilities' (not a held facility's) and the proxy
    invitations of its households that stay (not a held household's, nor one with a held
    child); a purged household's went with it."""
    from tsuen.accounts.models import WardInvitation
    from tsuen.facilities.models import StaffInvitation
    from tsuen.families.models import ProxyInvitation

    since = _day_start(cut)
    staff_ended = Coalesce(F("accepted_at"), F("expires_at"))
    return [
        WardInvitation.unscoped.filter(municipality=municipality)
        .annotate(ended=staff_ended)
        .filter(ended__lt=since),
        StaffInvitation.unscoped.filter(facility__municipality=municipality)
        .exclude(facility_id__in=holds.facilities)
        .annotate(ended=staff_ended)
        .filter(ended__lt=since),
        ProxyInvitation.unscoped.filter(household__municipality=municipality)
        .exclude(Q(household_id__in=holds.households) | Q(household__children__in=holds.children))
        .annotate(ended=Coalesce(F("accepted_at"), F("revoked_at"), F("expires_at")))
        .filter(ended__lt=since),
    ]


def _purge_claims(municipality, holds: Holds, cut: dt.date, run) -> None:
    """The ward's claims (payment_5y) as whole correction chains: every version of a facility's
    claim to the ward for one month (a correction supersedes the version before it), with their
    lines and the ward's queries on them. A chain closed on its last step (the newest version's
    payment, else its approval, its submission, or when it was made) and goes only once that
    day is on or before the cutoff for every version; it stays whole while a line names a held
    child (or a child of a held household) or the facility is held."""
    from tsuen.billing.models import Claim, ClaimLine, ClaimQuery

    since = _day_start(cut)
    chain = {
        "facility": OuterRef("facility"),
        "paying_municipality": OuterRef("paying_municipality"),
        "year": OuterRef("year"),
        "month": OuterRef("month"),
    }
    last_step = Coalesce(F("paid_at"), F("approved_at"), F("submitted_at"), F("created_at"))
    open_version = (
        Claim.unscoped.filter(**chain).annotate(closed=last_step).filter(closed__gte=since)
    )
    held_line = ClaimLine.unscoped.filter(**{f"claim__{k}": v for k, v in chain.items()}).filter(
        holds.child_q("child")
    )
    claims = (
        Claim.unscoped.filter(paying_municipality=municipality)
        .exclude(facility_id__in=holds.facilities)
        .exclude(Exists(open_version))
        .exclude(Exists(held_line))
    )
    rows = list(claims.values_list("pk", "version"))
    if not rows:
        return
    ids = [pk for pk, _version in rows]
    # What points at a claim goes first: the queries (at a line, and at the correction that
    # answered them), the lines, then the versions newest first (each supersedes the one
    # before it).
    run(RecordClass.CLAIMS, ClaimQuery.unscoped.filter(claim__in=ids))
    run(RecordClass.CLAIMS, ClaimLine.unscoped.filter(claim__in=ids))
    for version in sorted({v for _pk, v in rows}, reverse=True):
        run(RecordClass.CLAIMS, Claim.unscoped.filter(pk__in=ids, version=version))


def _purge_households(municipality, holds: Holds, cut: dt.date, account_cut: dt.date, run):
    """Households (family_record) with nothing payment-linked left after the classes above:
    no application, certification, booking, fee class or claim line of theirs remains, the
    children's eligibility ended (or never began), the household was registered and none of
    its guardians or proxies signed in on or after the cutoff (the earlier of the
    household's and the account's: their accounts close with the household). Their guardians,
    children, proxies, care records and files go with them (released holds on them too).
    Return the ids of the guardians' and proxies' accounts, for :func:`_closed_accounts`."""
    from tsuen.billing.models import ClaimLine
    from tsuen.booking.models import Booking
    from tsuen.certification.models import Application, Certification
    from tsuen.families.models import Child, Guardian, Household, HouseholdFeeClass, ProxyGrant
    from tsuen.retention.models import LegalHold

    since = _day_start(cut)
    signed_in = _day_start(min(cut, account_cut))
    active = Q(user__last_login__gte=signed_in)
    child_of = {"child__household": OuterRef("pk")}
    households = (
        Household.unscoped.filter(municipality=municipality, created_at__lt=since)
        .exclude(pk__in=holds.households)
        .exclude(children__in=holds.children)
        .exclude(Exists(Application.unscoped.filter(household=OuterRef("pk"))))
        .exclude(Exists(Certification.unscoped.filter(**child_of)))
        .exclude(Exists(Booking.unscoped.filter(**child_of)))
        .exclude(Exists(ClaimLine.unscoped.filter(**child_of)))
        .exclude(Exists(HouseholdFeeClass.unscoped.filter(household=OuterRef("pk"))))
        .exclude(Exists(Child.unscoped.filter(household=OuterRef("pk"), created_at__gte=since)))
        .exclude(Exists(Guardian.unscoped.filter(active, household=OuterRef("pk"))))
        .exclude(
            Exists(
                ProxyGrant.unscoped.filter(
                    active, household=OuterRef("pk"), revoked_at__isnull=True
                )
            )
        )
        .distinct()
    )
    ids = list(households.values_list("pk", flat=True))
    if not ids:
        return set()
    accounts = set(
        Guardian.unscoped.filter(household__in=ids, user__isnull=False).values_list(
            "user_id", flat=True
        )
    ) | set(ProxyGrant.unscoped.filter(household__in=ids).values_list("user_id", flat=True))
    released = LegalHold.unscoped.filter(released_at__isnull=False).filter(
        Q(household__in=ids) | Q(child__household__in=ids)
    )
    run(RecordClass.HOUSEHOLDS, released)
    run(RecordClass.HOUSEHOLDS, Household.unscoped.filter(pk__in=ids))
    return accounts


def _closed_accounts(municipality, holds: Holds, cut: dt.date, family: set[int]) -> QuerySet:
    """Accounts closed on or before the cutoff (the ``account`` rule), not anonymised yet:

    * the ward's staff (its own, and its facilities') deactivated then: the day is that of the
      last change of ``is_active`` in the audit log, which the deactivation writes (an account
      deactivated with no such event is kept); a held facility's staff are kept;
    * the guardians and proxies of the households purged just now that belong to no other
      household (the household rule waited for their last sign-in)."""
    from tsuen.accounts.models import FACILITY_ROLES, FAMILY_ROLES, MUNICIPAL_ROLES, User
    from tsuen.audit.models import AuditEvent
    from tsuen.families.models import Guardian, ProxyGrant

    open_accounts = User._base_manager.exclude(email__endswith=f"@{CLOSED_DOMAIN}")
    staff = (
        open_accounts.filter(is_active=False)
        .filter(
            Q(role__in=sorted(MUNICIPAL_ROLES), municipality=municipality)
            | Q(role__in=sorted(FACILITY_ROLES), facility__municipality=municipality)
        )
        .exclude(facility_id__in=holds.facilities)
    )
    candidates = {str(pk): pk for pk in staff.values_list("pk", flat=True)}
    closed_on: dict[int, dt.datetime] = {}
    changes = AuditEvent.objects.filter(
        object_type=User._meta.label_lower, object_id__in=list(candidates), action="update"
    ).values_list("object_id", "occurred_at", "field_names")
    for object_id, occurred_at, field_names in changes:
        if "is_active" in field_names:
            pk = candidates[object_id]
            closed_on[pk] = max(closed_on.get(pk, occurred_at), occurred_at)
    since = _day_start(cut)
    expired_staff = [pk for pk, moment in closed_on.items() if moment < since]
    family_ids = (
        open_accounts.filter(pk__in=family, role__in=sorted(FAMILY_ROLES))
        .exclude(Exists(Guardian.unscoped.filter(user=OuterRef("pk"))))
        .exclude(Exists(ProxyGrant.unscoped.filter(user=OuterRef("pk"))))
        .values_list("pk", flat=True)
    )
    return open_accounts.filter(Q(pk__in=expired_staff) | Q(pk__in=list(family_ids))).order_by("pk")


def _anonymise(queryset: QuerySet, municipality, audit) -> dict[str, int]:
    """Erase the accounts' email, name, password and last sign-in, with their second factors,
    verified addresses and lockout records: the row (id, role, organisation) stays, so every
    record and audit event that names the account still resolves, and no one can sign in
    with it. Each account leaves a ``purge`` event in the ward's chain first."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    rows = list(queryset)
    if not rows:
        return {}
    if audit is not None:
        audit(rows, fields=ERASED_ACCOUNT_FIELDS, municipality_id=municipality.pk)
    ids, emails = [r.pk for r in rows], [r.email for r in rows]
    counts: Counter = Counter()
    for related in (
        EmailAddress.objects.filter(user__in=ids),
        Authenticator.objects.filter(user__in=ids),
        *(
            m.objects.filter(username__in=emails)
            for m in (AccessAttempt, AccessFailureLog, AccessLog)
        ),
    ):
        counts.update(related.delete()[1])
    for account in rows:
        account.email = closed_address(account.pk)
        account.full_name = ""
        account.set_unusable_password()
        account.last_login = None
        account.is_active = False
        account.session_epoch += 1  # every session it still has ends at its next request
    type(rows[0])._base_manager.bulk_update(
        rows, [*ERASED_ACCOUNT_FIELDS, "is_active", "session_epoch"]
    )
    counts[rows[0]._meta.label] = len(rows)
    return counts


def dry_run(municipality, periods: dict[RecordClass, int], today: dt.date) -> Outcome:
    """What :func:`purge` would delete today, with nothing deleted."""
    with transaction.atomic():
        outcome = purge(municipality, periods, today)
        transaction.set_rollback(True)
    return outcome


def rules_applied(periods: dict[RecordClass, int], today: dt.date) -> dict[str, dict]:
    return {
        c.value: {
            "period": periods[c],
            "unit": DEFAULTS[c].unit.value,
            "rule": DEFAULTS[c].rule,
            "cutoff": cutoff(c, today, periods[c]).isoformat(),
        }
        for c in ORDER
    }
