"""The one authorization layer: one named action per operation, each with OR-ed rules.

Every rule is a *query condition* on the model it guards, built from the acting user. The same
condition answers both questions the system asks:

* "may this user do X to this object?"  -> ``allows()`` / ``get_or_404()`` (one EXISTS query)
* "which objects may this user do X to?" -> ``filter_allowed()`` (the condition in the list's WHERE)

so a list can never show what the detail page would refuse. An object outside the user's reach
answers 404 (its existence is not disclosed), never 403.

Rules reach the child, household, facility or municipality of a model through ``PATHS`` (the
lookups from each guarded model to those owners), the way eVaka's ACL turns one rule into SQL
for every table it guards.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum

from django.db.models import Model, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from tsuen.accounts.models import MUNICIPAL_ROLES, Role

# --- What each guarded model is attached to --------------------------------------------------


@dataclass(frozen=True)
class Paths:
    """Lookups from a model to its owners; ``""`` means the model *is* that owner."""

    child: str | None = None
    household: str | None = None
    facility: str | None = None
    municipality: str | None = None  # the municipality that owns the row (tenant)


def _child_paths(prefix: str, facility: str | None = None) -> Paths:
    child = prefix
    join = f"{prefix}__" if prefix else ""
    return Paths(
        child=child,
        household=f"{join}household",
        facility=facility,
        municipality=f"{join}household__municipality",
    )


PATHS: dict[str, Paths] = {
    "families.Household": Paths(household="", municipality="municipality"),
    "families.Guardian": Paths(household="household", municipality="household__municipality"),
    "families.Child": _child_paths(""),
    "families.EmergencyContact": _child_paths("child"),
    "families.GrowthRecord": _child_paths("child"),
    "families.HouseholdFeeClass": Paths(
        household="household", municipality="household__municipality"
    ),
    "families.ProxyGrant": Paths(household="household", municipality="household__municipality"),
    "families.ProxyInvitation": Paths(
        household="household", municipality="household__municipality"
    ),
    "certification.Application": Paths(household="household", municipality="municipality"),
    "certification.Certification": Paths(
        child="child", household="child__household", municipality="municipality"
    ),
    "facilities.Facility": Paths(facility="", municipality="municipality"),
    "facilities.PlaceSlot": Paths(facility="facility", municipality="facility__municipality"),
    # The facility's own screens (issue 4): its template, closures, interview slots, staff.
    "facilities.PlaceTemplate": Paths(facility="facility", municipality="facility__municipality"),
    "facilities.ClosureDay": Paths(facility="facility", municipality="facility__municipality"),
    "facilities.HolidayOpening": Paths(facility="facility", municipality="facility__municipality"),
    "facilities.InterviewSlot": Paths(facility="facility", municipality="facility__municipality"),
    "facilities.StaffInvitation": Paths(facility="facility", municipality="facility__municipality"),
    "accounts.User": Paths(facility="facility", municipality="facility__municipality"),
    "facilities.Interview": _child_paths("child", facility="facility"),
    "booking.Booking": _child_paths("child", facility="facility"),
    "booking.WaitlistEntry": _child_paths("child", facility="place_slot__facility"),
    "booking.RegularUseRequest": _child_paths("child", facility="facility"),
    "attendance.Attendance": _child_paths("booking__child", facility="booking__facility"),
    "attendance.DailyRecord": _child_paths("booking__child", facility="booking__facility"),
    "attendance.MorningNote": _child_paths("booking__child", facility="booking__facility"),
    "notices.CalendarFeed": _child_paths("child"),
    "billing.Claim": Paths(facility="facility", municipality="paying_municipality"),
    "municipalities.MunicipalPolicy": Paths(municipality="municipality"),
    "municipalities.Municipality": Paths(municipality=""),
    "files.StoredFile": Paths(
        child="child", household="household", facility="facility", municipality="municipality"
    ),
    # Issue 5 item 5: a facility's suspensions and reinstatements by its ward.
    "facilities.FacilitySuspension": Paths(
        facility="facility", municipality="facility__municipality"
    ),
    # Issue 5 item 9 (audit search): an event belongs to its municipality's chain.
    "audit.AuditEvent": Paths(municipality="municipality"),
    # Issue 5 item 11 (national operator): the national rate tables belong to no one ward.
    "national.NationalRateTable": Paths(),
    # Issue 9 item 8 (the ward runs its own accounts): its invitations and network ranges.
    "accounts.WardInvitation": Paths(municipality="municipality"),
    "municipalities.StaffNetwork": Paths(municipality="municipality"),
    # Issue 9 item 4 (protected exports): an export waiting for its download is its owner's.
    "exports.ProtectedExport": Paths(municipality="municipality"),
    # Issue 12 item 3: consents to the purpose notice belong to their household.
    "consent.Consent": Paths(household="household", municipality="household__municipality"),
    "consent.DeskDisclosureRequest": Paths(
        household="household", municipality="household__municipality"
    ),
    # Issue 12 item 6 (emergency switches): a switch belongs to its ward (none: every ward).
    "incident.EmergencySwitch": Paths(municipality="municipality"),
    # Issue 12 item 1-2 (retention): the ward's schedule, legal holds and purge runs.
    "retention.RetentionRule": Paths(municipality="municipality"),
    "retention.LegalHold": Paths(municipality="municipality"),
    "retention.PurgeRun": Paths(municipality="municipality"),
    # Issue 13 item 5: webhook endpoints (a facility's, or the ward's own: no facility) and
    # their delivery log.
    "webhooks.Endpoint": Paths(facility="facility", municipality="municipality"),
    "webhooks.Delivery": Paths(
        facility="endpoint__facility", municipality="endpoint__municipality"
    ),
    # Issue 12 item 4: an anomaly found in a ward's audit log belongs to that ward.
    "monitoring.Anomaly": Paths(municipality="municipality"),
    # Issue 13 item 7: an exchange file waiting for its import belongs to its ward.
    "exchange.ExchangeUpload": Paths(municipality="municipality"),
    # Issue 13: an API client belongs to its ward or to its facility (never both).
    "api.ApiClient": Paths(facility="facility", municipality="municipality"),
}


def paths_for(model: type[Model]) -> Paths:
    try:
        return PATHS[model._meta.label]
    except KeyError:
        raise LookupError(f"{model._meta.label} has no authorization paths") from None


def _in(path: str, values) -> Q:
    return Q(**{f"{path}__in" if path else "pk__in": values})


def _eq(path: str, value) -> Q:
    return Q(**{path or "pk": value})


# --- Rules ------------------------------------------------------------------------------------
# A rule takes (user, paths) and returns a condition, or None when it does not apply.

Rule = Callable[[object, Paths], Q | None]


def guardian_of_household(user, paths: Paths) -> Q | None:
    """A guardian of the household, or a proxy user with a live grant from it."""
    if user.role not in (Role.GUARDIAN, Role.PROXY) or paths.household is None:
        return None
    from tsuen.families.models import Guardian, ProxyGrant

    # One small set of household ids (a UNION of two index lookups), not a household filter
    # with an OR over two outer joins: that one joined every household of the country to its
    # guardians and proxies on every request, and the planner then scanned every child to
    # find the family's (bench.facility_search: 160 ms at 20,000 households, 0.2 ms so).
    households = (
        Guardian.unscoped.filter(user=user)
        .values("household_id")
        .union(
            ProxyGrant.unscoped.filter(user=user, revoked_at__isnull=True).values("household_id")
        )
    )
    return _in(paths.household, households)


def applicant_of_application(user, paths: Paths) -> Q | None:
    """The account that made an application: before submission no guardian row ties the
    applicant to the application's household yet."""
    if user.role not in (Role.GUARDIAN, Role.PROXY) or paths != PATHS["certification.Application"]:
        return None
    return Q(applicant=user)


def family_while_application_open(user, paths: Paths) -> Q | None:
    """The applicant or the household's family, while the application is a draft or awaits
    their correction."""
    if paths != PATHS["certification.Application"]:
        return None
    family = guardian_of_household(user, paths)
    if family is None:
        return None
    return (family | Q(applicant=user)) & Q(status__in=["draft", "correction_requested"])


def applicant_for_household(user, paths: Paths) -> Q | None:
    """The account that applied for the household (a first-time applicant has no guardian row
    until the application is sent, yet must agree to the purpose notice before filling it)."""
    if user.role != Role.GUARDIAN or paths.household is None:
        return None
    from tsuen.certification.models import Application

    return _in(paths.household, Application.unscoped.filter(applicant=user).values("household_id"))


def guardian_not_proxy_of_household(user, paths: Paths) -> Q | None:
    """A guardian of the household (not a proxy user: proxies cannot invite further proxies)."""
    if user.role != Role.GUARDIAN or paths.household is None:
        return None
    from tsuen.families.models import Household

    return _in(paths.household, Household.unscoped.filter(guardians__user=user).values("pk"))


#: How long a facility keeps a child's profile open after the child's last visit there (or
#: after its first interview was asked for, accepted or held): long enough to finish the
#: visit's daily record, answer the family and prepare the month's claim; short enough that a
#: child who has moved on is no longer open to the facility. A booked visit to come opens the
#: profile at once, however far ahead it is.
RELATIONSHIP_DAYS = 30


def facility_staff_related_to_child(user, paths: Paths) -> Q | None:
    """Staff of a facility with a *live* relationship with the child (issue 9 item 7): a
    confirmed booking there on a day from ``RELATIONSHIP_DAYS`` ago onwards (upcoming or
    recent), or a first interview there that is asked for or accepted and was asked for,
    decided or held within that window -- and only while the child holds an active
    certification whose validity has not run out. The relationship, not the tenant, opens a
    child's data to a facility, so a facility can care for a child from another ward; it
    closes by itself when the visits stop or the certification ends, with no job to run."""
    if not user.is_facility or not user.facility_id or paths.child is None:
        return None
    from tsuen.booking.models import HOLDING_STATUSES, Booking
    from tsuen.certification.models import Certification, CertificationStatus
    from tsuen.core import clock
    from tsuen.facilities.models import Interview, InterviewStatus

    now = clock.now()
    since = now - dt.timedelta(days=RELATIONSHIP_DAYS)
    booked = Booking.unscoped.filter(
        facility_id=user.facility_id,
        status__in=HOLDING_STATUSES,
        date__gte=timezone.localdate(since),
    ).values("child_id")
    interviewed = (
        Interview.unscoped.filter(
            facility_id=user.facility_id,
            status__in=[InterviewStatus.REQUESTED, InterviewStatus.ACCEPTED],
        )
        .filter(
            Q(requested_at__gte=since) | Q(decided_at__gte=since) | Q(slot__starts_at__gte=since)
        )
        .values("child_id")
    )
    certified = Certification.unscoped.filter(
        status=CertificationStatus.ACTIVE, valid_to__gte=timezone.localdate(now)
    ).values("child_id")
    return (_in(paths.child, booked) | _in(paths.child, interviewed)) & _in(paths.child, certified)


def facility_staff_interviewing_household(user, paths: Paths) -> Q | None:
    """Staff of a facility holding an open first interview (asked for or accepted) with a
    child of the household: they call the guardian to arrange or move it (issue 10)."""
    if not user.is_facility or not user.facility_id or paths.household is None:
        return None
    from tsuen.facilities.models import Interview, InterviewStatus

    open_interviews = Interview.unscoped.filter(
        facility_id=user.facility_id,
        status__in=[InterviewStatus.REQUESTED, InterviewStatus.ACCEPTED],
    ).values("child__household_id")
    return _in(paths.household, open_interviews)


def facility_staff_of_facility(user, paths: Paths) -> Q | None:
    """Staff (any facility role) of the facility that owns the row."""
    if not user.is_facility or not user.facility_id or paths.facility is None:
        return None
    return _eq(paths.facility, user.facility_id)


def facility_manager_of_facility(user, paths: Paths) -> Q | None:
    if user.role != Role.FACILITY_MANAGER:
        return None
    return facility_staff_of_facility(user, paths)


def municipal_staff(*roles: Role) -> Rule:
    """Staff in one of ``roles`` of the municipality that owns the row."""

    def rule(user, paths: Paths) -> Q | None:
        if user.role not in roles or not user.municipality_id or paths.municipality is None:
            return None
        return _eq(paths.municipality, user.municipality_id)

    rule.__name__ = f"municipal_staff({', '.join(roles)})"
    return rule


def authenticated(user, paths: Paths) -> Q | None:
    return Q() if user.is_authenticated else None


def anyone(user, paths: Paths) -> Q | None:
    return Q()


def public_facility_photo(user, paths: Paths) -> Q | None:
    """Facility photos are published with the facility page."""
    return Q(purpose="facility_photo") if paths == PATHS["files.StoredFile"] else None


def guardian_of_household_published_record(user, paths: Paths) -> Q | None:
    """The family reads a daily record (連絡帳) once the facility has published it; drafts
    stay with the facility. Guards daily records only."""
    if paths is not PATHS["attendance.DailyRecord"]:
        return None
    q = guardian_of_household(user, paths)
    return None if q is None else q & Q(status="published")


def payments_officer_non_care_file(user, paths: Paths) -> Q | None:
    """The ward's payments officer opens the ward's files that are not care records (the
    household's fee-class evidence), never a child's doctor's certificate. Guards files only."""
    if paths is not PATHS["files.StoredFile"]:
        return None
    q = municipal_staff(Role.MUNICIPAL_PAYMENTS)(user, paths)
    return None if q is None else q & ~Q(purpose="doctor_certificate")


def ward_administrator(user, paths: Paths) -> Q | None:
    """The administrator of a ward: on the ward's own staff accounts (users bound to the
    municipality in a municipal role -- never a facility's staff, whom the facility's manager
    runs) and on the rows the ward owns (its municipality, staff invitations, network ranges)."""
    if user.role != Role.MUNICIPAL_ADMIN or not user.municipality_id:
        return None
    if paths is PATHS["accounts.User"]:
        return Q(municipality_id=user.municipality_id, role__in=sorted(MUNICIPAL_ROLES))
    if paths.municipality is None:
        return None
    return _eq(paths.municipality, user.municipality_id)


def api_system_users():
    """The ids of API clients' system users, as a subquery (no join: staff rows are locked
    ``FOR UPDATE``, which PostgreSQL refuses on the nullable side of an outer join)."""
    from tsuen.api.models import ApiClient

    return ApiClient.unscoped.values("user_id")


def people_only(rule: Rule) -> Rule:
    """``rule``, but on user accounts only people's: an API client's system user (issue 13)
    is run from the API clients screen (rotate, revoke), never from a staff list."""

    def people(user, paths: Paths) -> Q | None:
        q = rule(user, paths)
        if q is None or paths is not PATHS["accounts.User"]:
            return q
        return q & ~Q(pk__in=api_system_users())

    people.__name__ = f"people_only_{rule.__name__}"
    people.__doc__ = rule.__doc__
    return people


def ward_administrator_own_endpoint(user, paths: Paths) -> Q | None:
    """The ward's administrator on the ward's own webhook endpoints (those of no facility) and
    their deliveries; a facility's endpoints are its manager's. Guards webhooks only."""
    if user.role != Role.MUNICIPAL_ADMIN or not user.municipality_id:
        return None
    if paths is not PATHS["webhooks.Endpoint"] and paths is not PATHS["webhooks.Delivery"]:
        return None
    return Q(**{paths.municipality: user.municipality_id, f"{paths.facility}__isnull": True})


def national_operator(user, paths: Paths) -> Q | None:
    return Q() if user.role == Role.NATIONAL_OPERATOR else None


def administrator_who_uploaded(user, paths: Paths) -> Q | None:
    """The ward administrator who uploaded an exchange file, while still its administrator."""
    if paths is not PATHS["exchange.ExchangeUpload"]:
        return None
    q = municipal_staff(Role.MUNICIPAL_ADMIN)(user, paths)
    return None if q is None else q & Q(owner=user)


def owner_of_export(user, paths: Paths) -> Q | None:
    """The person who asked for a protected export, and nobody else."""
    if paths is not PATHS["exports.ProtectedExport"] or not user.is_authenticated:
        return None
    return Q(owner=user)


# --- Actions ----------------------------------------------------------------------------------


class Action(StrEnum):
    CHILD_VIEW = "child.view"
    CHILD_LIST = "child.list"
    CHILD_EDIT = "child.edit"
    # Issue 9 item 7: the child's care records (allergies, meals, illnesses, vaccinations,
    # doctors' certificates, growth, development, pickup, emergency contacts): the profile page.
    # CHILD_VIEW / CHILD_LIST say who the child is (name, reading, birth date) and nothing more.
    CHILD_CARE_VIEW = "child.care_view"
    GUARDIAN_VIEW = "guardian.view"
    PROXY_MANAGE = "proxy.manage"
    HOUSEHOLD_FEE_CLASS_VIEW = "household.fee_class.view"
    # Issue 9 item 7: the ward's fee-class page of a child (its certificates, the household's
    # fee classes with their validity), checked on the household.
    FEE_CLASS_DESK_VIEW = "household.fee_class.desk_view"
    APPLICATION_VIEW = "application.view"
    APPLICATION_EDIT = "application.edit"
    APPLICATION_REVIEW = "application.review"
    CERTIFICATION_VIEW = "certification.view"
    CERTIFICATION_NOTICE = "certification.notice"
    # Issue 5 (certification lifecycle): ward staff verify fee classes and end certifications.
    HOUSEHOLD_FEE_CLASS_VERIFY = "household.fee_class.verify"
    CERTIFICATION_END = "certification.end"
    FACILITY_VIEW = "facility.view"
    FACILITY_MANAGE = "facility.manage"
    INTERVIEW_VIEW = "interview.view"
    INTERVIEW_REQUEST = "interview.request"
    INTERVIEW_CANCEL = "interview.cancel"
    INTERVIEW_DECIDE = "interview.decide"
    PLACES_MANAGE = "places.manage"
    STAFF_MANAGE = "staff.manage"
    INTERVIEW_SLOT_MANAGE = "interview_slot.manage"
    BOOKING_VIEW = "booking.view"
    BOOKING_CREATE = "booking.create"
    BOOKING_CANCEL = "booking.cancel"
    BOOKING_CANCEL_BY_FACILITY = "booking.cancel_by_facility"
    WAITLIST_VIEW = "waitlist.view"
    WAITLIST_JOIN = "waitlist.join"
    WAITLIST_RESPOND = "waitlist.respond"
    REGULAR_REQUEST_VIEW = "regular_request.view"
    REGULAR_REQUEST_CREATE = "regular_request.create"
    REGULAR_REQUEST_WITHDRAW = "regular_request.withdraw"
    HOURS_VIEW = "hours.view"
    ATTENDANCE_RECORD = "attendance.record"
    FACILITY_DAY_VIEW = "facility_day.view"
    REGULAR_REQUEST_ALLOCATE = "regular_request.allocate"
    DAILY_RECORD_VIEW = "daily_record.view"
    DAILY_RECORD_WRITE = "daily_record.write"
    VISIT_LIST = "visit.list"
    MORNING_NOTE_WRITE = "morning_note.write"
    MORNING_NOTE_VIEW = "morning_note.view"
    CALENDAR_FEED_MANAGE = "calendar_feed.manage"
    CLAIM_VIEW = "claim.view"
    CLAIM_SUBMIT = "claim.submit"
    CLAIM_APPROVE = "claim.approve"
    # Issue 11 item 5: draft the month's claims of facilities (checked on the facility): its
    # manager for its own; the national operator's month run for every facility
    # (``billing.services_month``). Drafts only: submitting stays CLAIM_SUBMIT, the manager's.
    CLAIM_GENERATE = "claim.generate"
    STATEMENT_VIEW = "statement.view"
    POLICY_VIEW = "policy.view"
    POLICY_EDIT = "policy.edit"
    MUNICIPALITY_STATS_VIEW = "municipality.stats.view"
    NATIONAL_STATS_VIEW = "national.stats.view"
    FILE_VIEW = "file.view"
    # Issue 5 item 5 (the ward's facility register): the ward's case workers read the
    # register; its administrator registers, edits, suspends and reinstates facilities and
    # invites their managers (checked on the facility, or on the municipality to register).
    FACILITY_WARD_VIEW = "facility.ward_view"
    FACILITY_SUPERVISE = "facility.supervise"
    # Issue 5 item 9 (audit search and export): the ward's own log, never a person's values.
    AUDIT_SEARCH = "audit.search"
    AUDIT_EXPORT = "audit.export"
    # Issue 5 item 8 (the ward's dashboard): the person lists (children near a cap, children
    # who never or no longer come), checked on families.Child.
    OUTREACH_VIEW = "outreach.view"
    # Issue 5 item 11 (national operator): municipalities and the national rate tables.
    MUNICIPALITY_MANAGE = "municipality.manage"
    RATE_TABLE_MANAGE = "national.rate_table.manage"
    # Issue 9 item 8 (joiner, mover, leaver): the ward's administrator lists, invites, changes
    # the role of, deactivates and reactivates the ward's staff (checked on accounts.User, on
    # accounts.WardInvitation and, to invite, on the municipality) and keeps the ward's staff
    # network ranges (on municipalities.StaffNetwork and the municipality). The national operator
    # sets a new ward up: its first ranges and its first administrator (on the municipality).
    WARD_STAFF_MANAGE = "ward_staff.manage"
    STAFF_NETWORK_MANAGE = "staff_network.manage"
    MUNICIPALITY_ACCESS_SETUP = "municipality.access_setup"
    # Issue 10: the ward's administrator keeps the ward's own letterhead and branding (the
    # head's title and contact section of notices, the date style, the service name in email
    # subjects), checked on the municipality. The national operator's form is MUNICIPALITY_MANAGE.
    WARD_SETTINGS_EDIT = "ward_settings.edit"
    # Issue 9 item 4: the ward's case workers download a certification notice as a protected
    # export; a protected export is downloaded by its owner only.
    CERTIFICATION_NOTICE_EXPORT = "certification.notice.export"
    EXPORT_DOWNLOAD = "export.download"
    # Issue 10: the interview desk shows the guardian's phone (checked on the guardian).
    INTERVIEW_GUARDIAN_CONTACT = "interview.guardian_contact"
    # Issue 12 item 7: the last backups and restore drills (no person's data; checked on the
    # municipality): the ward's administrator and auditor, and the national operator.
    BACKUP_STATUS_VIEW = "backup.status.view"
    # Issue 12 item 3 (council item 1): the purpose notice and its consent, and disclosure
    # (開示請求), checked on the household.
    CONSENT_VIEW = "consent.view"
    CONSENT_GIVE = "consent.give"
    DISCLOSURE_REQUEST = "disclosure.request"
    # A disclosure request made on paper at the ward's desk: the ward's officials who read a
    # household's care records record it and produce the household's disclosure for it
    # (checked on the household and on consent.DeskDisclosureRequest).
    DESK_DISCLOSURE = "disclosure.desk"
    # Issue 12 item 6: the emergency switches of a ward (its administrator, the national
    # operator), of every ward at once (the national operator), and the blast-radius query.
    INCIDENT_SWITCH = "incident.switch"
    INCIDENT_SWITCH_ALL_WARDS = "incident.switch_all_wards"
    BLAST_RADIUS = "incident.blast_radius"
    BLAST_RADIUS_EXPORT = "incident.blast_radius.export"
    # Issue 12 items 1-2: the ward's administrator keeps the retention schedule and legal holds
    # and asks for, approves (a second administrator) and executes purge runs (checked on the
    # municipality, a hold or a run); the administrator and the auditor list the runs and
    # download their deletion reports (消去報告書).
    RETENTION_MANAGE = "retention.manage"
    DELETION_REPORT_VIEW = "retention.report_view"
    # Issue 12 item 4: the anomalies the rules found in the ward's audit log (checked on
    # monitoring.Anomaly): the ward's administrator and auditor list them and dispose of each
    # (explained or escalated, with a note), once.
    ANOMALY_VIEW = "anomaly.view"
    ANOMALY_DISPOSE = "anomaly.dispose"
    # Issue 12 item 5: the ward's monthly operations report (checked on the municipality): the
    # ward's administrator and auditor, and the national operator (any ward, counts only); the
    # names of staff without a second factor to the ward's administrator and auditor.
    OPS_REPORT_VIEW = "opsreport.view"
    OPS_REPORT_NAMES = "opsreport.names"
    # Issue 13 item 4: the family checks its child in or out itself by scanning the
    # facility's QR code (checked on the booking): its guardians and live proxy users.
    ATTENDANCE_SELF_CHECK = "attendance.self_check"
    # Issue 13 item 7: the ward's certifications as an exchange file (export, and import of a
    # ward's records moving in), checked on the municipality; an uploaded exchange file's
    # preview and import, checked on exchange.ExchangeUpload.
    CERTIFICATION_EXCHANGE = "certification.exchange"
    EXCHANGE_IMPORT = "exchange.import"
    # Issue 13 item 5: webhook endpoints and their delivery log: the facility's manager for
    # the facility's, the ward's administrator for the ward's own (not the facilities').
    WEBHOOK_VIEW = "webhook.view"
    WEBHOOK_MANAGE = "webhook.manage"
    # Issue 13: the API clients of a ward (its administrator, checked on the municipality or
    # the client) or of a facility (its manager, on the facility or the client): list, create,
    # rotate the secret, revoke.
    API_CLIENT_MANAGE = "api_client.manage"


_REVIEWER, _PAYMENTS, _ADMIN, _AUDITOR = (
    Role.MUNICIPAL_REVIEWER,
    Role.MUNICIPAL_PAYMENTS,
    Role.MUNICIPAL_ADMIN,
    Role.AUDITOR,
)
_CASEWORK = (_REVIEWER, _PAYMENTS, _ADMIN)

#: Action -> the rules any one of which grants it. The auditor reaches logs and aggregate
#: reports only, never a person's values; the national operator reaches aggregates only.
POLICY: dict[Action, tuple[Rule, ...]] = {
    Action.CHILD_VIEW: (
        guardian_of_household,
        facility_staff_related_to_child,
        municipal_staff(*_CASEWORK),
    ),
    Action.CHILD_LIST: (
        guardian_of_household,
        facility_staff_related_to_child,
        municipal_staff(*_CASEWORK),
    ),
    Action.CHILD_EDIT: (guardian_of_household,),
    # Care records: the family, a facility while its relationship with the child is live, and
    # the ward's reviewer and administrator. Never the payments officer: paying needs claims,
    # lines, certificate numbers and fee-class validity, not a child's health.
    Action.CHILD_CARE_VIEW: (
        guardian_of_household,
        facility_staff_related_to_child,
        municipal_staff(_REVIEWER, _ADMIN),
    ),
    Action.GUARDIAN_VIEW: (guardian_of_household, municipal_staff(*_CASEWORK)),
    # Invite, list and revoke proxy users (代理利用者): the household's own guardians only.
    Action.PROXY_MANAGE: (guardian_not_proxy_of_household,),
    # Never a facility: a facility sees that a child needs care, not the household's welfare
    # or tax status.
    Action.HOUSEHOLD_FEE_CLASS_VIEW: (guardian_of_household, municipal_staff(*_CASEWORK)),
    # The ward's fee-class page: its case workers; the payments officer reads it (the reduction
    # reimbursed depends on the class valid on the visit's day), only HOUSEHOLD_FEE_CLASS_VERIFY
    # changes it.
    Action.FEE_CLASS_DESK_VIEW: (municipal_staff(*_CASEWORK),),
    Action.APPLICATION_VIEW: (
        guardian_of_household,
        applicant_of_application,
        municipal_staff(*_CASEWORK),
    ),
    Action.APPLICATION_EDIT: (family_while_application_open,),
    Action.APPLICATION_REVIEW: (municipal_staff(_REVIEWER, _ADMIN),),
    # Issue 5: the reviewer or administrator of the household's municipality confirms or
    # changes its fee class, and ends a child's certification (moving out, by request...).
    Action.HOUSEHOLD_FEE_CLASS_VERIFY: (municipal_staff(_REVIEWER, _ADMIN),),
    Action.CERTIFICATION_END: (municipal_staff(_REVIEWER, _ADMIN),),
    # The certification notice (認定通知書): the family opens its own; the ward's staff take it
    # as a protected export (CERTIFICATION_NOTICE_EXPORT); never a facility.
    Action.CERTIFICATION_NOTICE: (guardian_of_household,),
    Action.CERTIFICATION_VIEW: (
        guardian_of_household,
        facility_staff_related_to_child,
        municipal_staff(*_CASEWORK),
    ),
    Action.FACILITY_VIEW: (anyone,),
    Action.FACILITY_MANAGE: (facility_manager_of_facility, municipal_staff(_ADMIN)),
    # First interviews (初回面談): the family asks for one for its child (INTERVIEW_REQUEST is
    # checked on the child) and may cancel it; the facility holding it decides.
    Action.INTERVIEW_VIEW: (
        guardian_of_household,
        facility_staff_of_facility,
        municipal_staff(*_CASEWORK),
    ),
    Action.INTERVIEW_REQUEST: (guardian_of_household,),
    Action.INTERVIEW_CANCEL: (guardian_of_household,),
    Action.INTERVIEW_DECIDE: (facility_staff_of_facility,),
    Action.PLACES_MANAGE: (facility_manager_of_facility,),
    # The manager invites and deactivates the facility's staff accounts.
    Action.STAFF_MANAGE: (people_only(facility_manager_of_facility),),
    # Interview slots: any staff of the facility (they hold the interviews).
    Action.INTERVIEW_SLOT_MANAGE: (facility_staff_of_facility,),
    # The guardians' phone numbers, for the facility holding an open interview with the family.
    Action.INTERVIEW_GUARDIAN_CONTACT: (facility_staff_interviewing_household,),
    Action.BOOKING_VIEW: (
        guardian_of_household,
        facility_staff_of_facility,
        municipal_staff(*_CASEWORK),
    ),
    Action.BOOKING_CREATE: (guardian_of_household,),
    Action.BOOKING_CANCEL: (guardian_of_household,),
    # Closure or an outbreak: staff of the facility that holds the booking.
    Action.BOOKING_CANCEL_BY_FACILITY: (facility_staff_of_facility,),
    # The waitlist (キャンセル待ち): the family joins for its child (WAITLIST_JOIN is checked on
    # the child), accepts or withdraws; the facility sees who waits for its places.
    Action.WAITLIST_VIEW: (guardian_of_household, facility_staff_of_facility),
    Action.WAITLIST_JOIN: (guardian_of_household,),
    Action.WAITLIST_RESPOND: (guardian_of_household,),
    # Regular use (定期利用) requests: the family asks (checked on the child) and may withdraw;
    # the facility asked reads them to allocate.
    Action.REGULAR_REQUEST_VIEW: (guardian_of_household, facility_staff_of_facility),
    Action.REGULAR_REQUEST_CREATE: (guardian_of_household,),
    Action.REGULAR_REQUEST_WITHDRAW: (guardian_of_household,),
    # A child's used and remaining hours (checked on the child).
    Action.HOURS_VIEW: (guardian_of_household, municipal_staff(*_CASEWORK)),
    Action.ATTENDANCE_RECORD: (facility_staff_of_facility,),
    # The room's day screen (checked on bookings): the children booked at the user's facility
    # with what staff must know for their care.
    Action.FACILITY_DAY_VIEW: (facility_staff_of_facility,),
    # Turning a regular-use request into bookings (or refusing it): the facility asked.
    Action.REGULAR_REQUEST_ALLOCATE: (facility_staff_of_facility,),
    Action.DAILY_RECORD_VIEW: (guardian_of_household_published_record, facility_staff_of_facility),
    Action.DAILY_RECORD_WRITE: (facility_staff_of_facility,),
    # The visit as the family sees it: its bookings with their notes and records.
    Action.VISIT_LIST: (guardian_of_household,),
    # The morning note (登園時の連絡): the family writes it, the facility of the visit reads it.
    Action.MORNING_NOTE_WRITE: (guardian_of_household,),
    Action.MORNING_NOTE_VIEW: (guardian_of_household, facility_staff_of_facility),
    # The secret calendar-feed URL of a child's bookings: made, reset and removed by the family.
    Action.CALENDAR_FEED_MANAGE: (guardian_of_household,),
    Action.CLAIM_VIEW: (facility_manager_of_facility, municipal_staff(_PAYMENTS, _ADMIN)),
    Action.CLAIM_SUBMIT: (facility_manager_of_facility,),
    Action.CLAIM_APPROVE: (municipal_staff(_PAYMENTS, _ADMIN),),
    # The operator runs the month for the country (a named account, audited); it sees counts
    # only, never a claim or a line (CLAIM_VIEW is not granted to it).
    Action.CLAIM_GENERATE: (facility_manager_of_facility, national_operator),
    # The family's monthly statement of fees (checked on the household).
    Action.STATEMENT_VIEW: (guardian_of_household,),
    Action.POLICY_VIEW: (municipal_staff(*_CASEWORK, _AUDITOR), national_operator),
    Action.POLICY_EDIT: (municipal_staff(_ADMIN),),
    Action.MUNICIPALITY_STATS_VIEW: (municipal_staff(*_CASEWORK, _AUDITOR),),
    Action.NATIONAL_STATS_VIEW: (national_operator,),
    # A facility reads a child's doctor's certificate while its relationship with the child is
    # live, never the household's fee-class evidence (that file has no child). The payments
    # officer opens no care record (issue 9 item 7).
    Action.FILE_VIEW: (
        guardian_of_household,
        facility_staff_related_to_child,
        facility_staff_of_facility,
        municipal_staff(_REVIEWER, _ADMIN),
        payments_officer_non_care_file,
        public_facility_photo,
    ),
    # Issue 5 item 5 (the ward's facility register).
    Action.FACILITY_WARD_VIEW: (municipal_staff(*_CASEWORK),),
    Action.FACILITY_SUPERVISE: (municipal_staff(_ADMIN),),
    # Issue 5 item 9 (audit search and export): the auditor and the administrator search and
    # export their own municipality's log (checked on audit events).
    Action.AUDIT_SEARCH: (municipal_staff(_ADMIN, _AUDITOR),),
    Action.AUDIT_EXPORT: (municipal_staff(_ADMIN, _AUDITOR),),
    # Issue 5 item 8 (the ward's dashboard): the case workers of the child's ward see the
    # outreach and near-cap lists; the auditor sees the dashboard's aggregates only.
    Action.OUTREACH_VIEW: (municipal_staff(*_CASEWORK),),
    # Issue 5 item 11 (national operator): registering and editing municipalities (the
    # tenants) and the national rate table of each fiscal year. No person's data behind them.
    Action.MUNICIPALITY_MANAGE: (national_operator,),
    Action.RATE_TABLE_MANAGE: (national_operator,),
    # Issue 9 item 8: the ward runs its own accounts and ranges; the national operator only
    # starts a ward (first ranges, first administrator while it has none).
    Action.WARD_STAFF_MANAGE: (people_only(ward_administrator),),
    Action.STAFF_NETWORK_MANAGE: (ward_administrator,),
    Action.MUNICIPALITY_ACCESS_SETUP: (national_operator,),
    Action.WARD_SETTINGS_EDIT: (ward_administrator,),
    Action.CERTIFICATION_NOTICE_EXPORT: (municipal_staff(*_CASEWORK),),
    Action.EXPORT_DOWNLOAD: (owner_of_export,),
    Action.BACKUP_STATUS_VIEW: (municipal_staff(_ADMIN, _AUDITOR), national_operator),
    # Issue 12 item 3: the family reads the notice and whether it agreed (proxies too); its
    # guardians (and a first-time applicant) agree, withdraw and download everything held
    # about the household. A proxy is not the children's legal representative: it neither
    # agrees for them nor downloads the household's whole record.
    Action.CONSENT_VIEW: (guardian_of_household, applicant_for_household),
    Action.CONSENT_GIVE: (guardian_not_proxy_of_household, applicant_for_household),
    Action.DISCLOSURE_REQUEST: (guardian_not_proxy_of_household, applicant_for_household),
    # At the ward's desk (a paper request): the reviewer and the administrator of the
    # household's ward, who already read its care records (CHILD_CARE_VIEW). Not the payments
    # officer (no health records), not the auditor (no values), no facility, not the operator.
    Action.DESK_DISCLOSURE: (municipal_staff(_REVIEWER, _ADMIN),),
    Action.INCIDENT_SWITCH: (ward_administrator, national_operator),
    Action.INCIDENT_SWITCH_ALL_WARDS: (national_operator,),
    Action.BLAST_RADIUS: (municipal_staff(_ADMIN, _AUDITOR),),
    Action.BLAST_RADIUS_EXPORT: (municipal_staff(_ADMIN, _AUDITOR),),
    Action.RETENTION_MANAGE: (ward_administrator,),
    Action.DELETION_REPORT_VIEW: (municipal_staff(_ADMIN, _AUDITOR),),
    Action.ANOMALY_VIEW: (municipal_staff(_ADMIN, _AUDITOR),),
    Action.ANOMALY_DISPOSE: (municipal_staff(_ADMIN, _AUDITOR),),
    Action.OPS_REPORT_VIEW: (municipal_staff(_ADMIN, _AUDITOR), national_operator),
    Action.OPS_REPORT_NAMES: (municipal_staff(_ADMIN, _AUDITOR),),
    # Issue 13 item 4 (QR check-in): a guardian of the booking's household, or a proxy user
    # with a live grant from it -- the proxy is who brings and fetches the child on many days
    # (docs/qr-check-in.md). The facility still sees who tapped (recorded_by) and can undo.
    Action.ATTENDANCE_SELF_CHECK: (guardian_of_household,),
    # Issue 13 item 7: exchange files, the ward's administrator only.
    Action.CERTIFICATION_EXCHANGE: (municipal_staff(_ADMIN),),
    Action.EXCHANGE_IMPORT: (administrator_who_uploaded,),
    Action.WEBHOOK_VIEW: (facility_manager_of_facility, ward_administrator_own_endpoint),
    Action.WEBHOOK_MANAGE: (facility_manager_of_facility, ward_administrator_own_endpoint),
    Action.API_CLIENT_MANAGE: (ward_administrator, facility_manager_of_facility),
}


#: Rules that also answer for visitors who have not logged in.
PUBLIC_RULES = frozenset({anyone, public_facility_photo})

# --- The API the services and views use -------------------------------------------------------


#: The conditions already built in this request (:func:`conditions_remembered`), or None.
_remembered: ContextVar[dict | None] = ContextVar("authz_conditions", default=None)


@contextmanager
def conditions_remembered() -> Iterator[None]:
    """Within this block (one request: ``core.middleware``), a condition is built once per user
    and action and model. A page asks the same question several times (may the user book at all,
    then which children), and building a rule's subqueries costs more than running them. The
    rules read the user's id, role, ward and facility (the key) and the clock (a request is
    short); the relationships they test are subqueries, read by the database when it runs them."""
    token = _remembered.set({})
    try:
        yield
    finally:
        _remembered.reset(token)


def condition(user, action: Action, model: type[Model]) -> Q | None:
    """The OR of every applicable rule's condition, or None when no rule applies."""
    remembered = _remembered.get()
    if remembered is None:
        return _condition(user, action, model)
    key = (
        user.is_authenticated,
        user.pk,
        getattr(user, "role", None),
        getattr(user, "municipality_id", None),
        getattr(user, "facility_id", None),
        action,
        model,
    )
    if key not in remembered:
        remembered[key] = _condition(user, action, model)
    return remembered[key]


def _condition(user, action: Action, model: type[Model]) -> Q | None:
    paths = paths_for(model)
    result: Q | None = None
    for rule in POLICY[action]:
        if not user.is_authenticated and rule not in PUBLIC_RULES:
            continue  # the other rules read a role, which an anonymous visitor lacks
        q = rule(user, paths)
        if q is not None:
            result = q if result is None else result | q
    return result


def filter_allowed(user, action: Action, queryset: QuerySet) -> QuerySet:
    """Narrow a queryset to the rows ``user`` may ``action``."""
    q = condition(user, action, queryset.model)
    return queryset.none() if q is None else queryset.filter(q)


def allows(user, action: Action, obj: Model) -> bool:
    q = condition(user, action, type(obj))
    if q is None:
        return False
    return type(obj)._default_manager.filter(pk=obj.pk).filter(q).exists()


def allows_any(user, action: Action, model: type[Model]) -> bool:
    """Whether some rule of the action applies to this user at all (for pages without an
    object, such as a list: a user with no applicable rule gets 404, not an empty list)."""
    return condition(user, action, model) is not None


def get_or_404(user, action: Action, queryset: QuerySet, **lookup) -> Model:
    """The one object matching ``lookup`` that ``user`` may ``action``; 404 otherwise."""
    try:
        return filter_allowed(user, action, queryset).get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404 from None


def require(user, action: Action, model: type[Model]) -> None:
    if not allows_any(user, action, model):
        raise Http404


def actions_on(user, obj: Model, actions: Iterable[Action]) -> set[Action]:
    """Which of ``actions`` the user may take on ``obj`` (for showing buttons)."""
    return {a for a in actions if allows(user, a, obj)}


# --- Compiled reads of the hot pages ----------------------------------------------------------

#: Rules whose condition reads nothing of the user but the id, role, ward and facility, and
#: nothing of the moment (no clock): their SQL is the same for every user of one kind, with the
#: user's id, ward and facility as its parameters (tests/test_authz_compiled.py builds each at
#: two moments for users of every role and compares). Only these compile (:class:`AllowedQuery`).
CLOCK_FREE_RULES = frozenset({anyone, guardian_of_household})


class AllowedQuery:
    """``filter_allowed(user, action, build(**values))``, compiled (``tsuen.core.compiled``)
    once per kind of user: role, with or without a ward, with or without a facility. The same
    rules and the same rows: the condition is built for a stand-in user whose id, ward and
    facility are placeholders, and each call binds the real user's. For the hot pages (the
    booking confirm), where building the rules' conditions and the SQL cost more than running
    them.

    Falls back to the ORM (``filter_allowed``) where compiling could answer differently: a rule
    that applies and is not in :data:`CLOCK_FREE_RULES`, or a ward's tenant scope (the manager's
    condition names the ward). Answers nothing where no rule applies."""

    def __init__(self, action: Action, model: type[Model], build: Callable[..., QuerySet], **kinds):
        self.action = action
        self.model = model
        self._build = build
        self._kinds = kinds
        self._prepared: dict[tuple, tuple[bool, object]] = {}

    def applies(self, user) -> bool:
        """Whether some rule of the action applies to the user (``allows_any``)."""
        return self._for(user)[0]

    def objects(self, user, **values) -> list[Model]:
        from tsuen.core import tenancy

        applies, compiled = self._for(user)
        if not applies:
            return []
        scope = tenancy.current_scope()
        if compiled is None or scope is None or scope.municipality_ids is not None:
            return list(filter_allowed(user, self.action, self._build(**values)))
        return compiled.objects(
            **values,
            user_id=user.pk,
            user_municipality_id=getattr(user, "municipality_id", None),
            user_facility_id=getattr(user, "facility_id", None),
        )

    def _for(self, user) -> tuple[bool, object]:
        kind = (
            user.is_authenticated,
            getattr(user, "role", None),
            getattr(user, "municipality_id", None) is not None,
            getattr(user, "facility_id", None) is not None,
        )
        if kind not in self._prepared:
            self._prepared[kind] = self._prepare(*kind)
        return self._prepared[kind]

    def _prepare(self, authenticated: bool, role, has_ward: bool, has_facility: bool):
        """(whether a rule applies, the compiled query or None for the ORM) for one kind."""
        from django.contrib.auth.models import AnonymousUser

        from tsuen.accounts.models import User
        from tsuen.core.compiled import CompiledQuery

        def stand_in(user_id=-1, ward=None, facility=None):
            if not authenticated:
                return AnonymousUser()
            return User(pk=user_id, role=role, municipality_id=ward, facility_id=facility)

        probe = stand_in(ward=-2 if has_ward else None, facility=-3 if has_facility else None)
        paths = paths_for(self.model)
        applying = {
            rule
            for rule in POLICY[self.action]
            if (authenticated or rule in PUBLIC_RULES) and rule(probe, paths) is not None
        }
        if not applying:
            return False, None
        if not applying <= CLOCK_FREE_RULES:
            return True, None
        user_kinds = {"user_id": "int", "user_municipality_id": "int", "user_facility_id": "int"}

        def build(user_id, user_municipality_id, user_facility_id, **values):
            user = stand_in(
                user_id,
                user_municipality_id if has_ward else None,
                user_facility_id if has_facility else None,
            )
            return filter_allowed(user, self.action, self._build(**values))

        # Compiled at the first call, inside that call's cross-tenant scope (see objects).
        return True, CompiledQuery(build, optional=user_kinds, **self._kinds, **user_kinds)
