"""Reading and changing family data: every path checks the authorization layer first and
leaves an audit event (field names only, never values)."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tsuen.audit import record, record_many
from tsuen.authz.policy import Action, allows, filter_allowed, get_or_404, require
from tsuen.core import clock
from tsuen.core.tokens import token_hash
from tsuen.families.models import (
    Child,
    EmergencyContact,
    GrowthRecord,
    Guardian,
    Household,
    ProxyGrant,
    ProxyInvitation,
)

#: The child's profile: every personal field held on the child (the data inventory's
#: ``families.Child`` entries, tests/consent/test_desk.py checks), which the profile page shows
#: to the family, the facility caring for the child and the ward's care desk, and which the
#: household's disclosure (開示, tsuen.consent.disclosure) lists. Never the household's
#: welfare or tax data: that is on the household, not the child.
PROFILE_FIELDS = (
    "family_name",
    "given_name",
    "family_name_kana",
    "given_name_kana",
    "birth_date",
    "sex",
    "disability",
    "medical_care",
    "allergies",
    "meal_requirements",
    "illnesses",
    "vaccinations",
    "development_notes",
    "pickup_persons",
)
LIST_FIELDS = ("family_name", "given_name", "birth_date")


def family_accounts(household_id: int, *, booked_by=None, fallback=None) -> list:
    """Who in the family is told about a child's visit or certification: the household's
    guardians with an active account, and the proxy user who ``booked_by`` (while the proxy
    grant lives); ``fallback`` (e.g. the applicant) when that leaves no one."""
    from django.db.models import Q

    from tsuen.accounts.models import User

    proxy = (
        Q(pk=booked_by.pk, proxy_grants__household_id=household_id)
        & Q(proxy_grants__revoked_at__isnull=True)
        if booked_by is not None
        else Q(pk__in=[])
    )
    accounts = list(
        User.objects.filter(is_active=True)
        .filter(Q(guardian__household_id=household_id) | proxy)
        .distinct()
        .order_by("pk")
    )
    return accounts or ([fallback] if fallback is not None and fallback.is_active else [])


def _listable_children(user) -> QuerySet[Child]:
    require(user, Action.CHILD_LIST, Child)
    return (
        filter_allowed(user, Action.CHILD_LIST, Child.objects.all())
        .select_related("household")
        .order_by("family_name_kana", "given_name_kana", "pk")
    )


def children_for(user) -> list[Child]:
    """The children the user may list; 404 when the user's role lists no children at all."""
    children = list(_listable_children(user))
    record_many("list", children, fields=LIST_FIELDS)
    return children


def children_page(user, number, per_page: int = 50) -> Page:
    """One page of the children the user may list (a ward lists hundreds): only the page's
    children are read, and recorded."""
    page = Paginator(_listable_children(user), per_page).get_page(number)
    page.object_list = list(page.object_list)
    record_many("list", page.object_list, fields=LIST_FIELDS)
    return page


# --- The child profile (kept by the family, read by facilities caring for the child) -----------

#: Sections holding sensitive data (allergies, religious meal rules, illnesses, vaccinations,
#: doctors' certificates, development): saved only with a live consent of the household to the
#: current purpose notice (tsuen.consent, issue 12 item 3).
CONSENT_SECTIONS = frozenset({"meals", "health", "development"})

#: What each edit section of the profile writes on the child.
SECTION_FIELDS: dict[str, tuple[str, ...]] = {
    "meals": ("allergies", "meal_requirements"),
    "health": ("illnesses", "vaccinations"),
    "pickup": ("pickup_persons",),
    "development": ("development_notes",),
}
CONTACT_FIELDS = ("name", "birth_date", "relation", "phone", "email", "priority")
GROWTH_FIELDS = ("measured_on", "height_cm", "weight_kg")
CERTIFICATE_FIELDS = ("original_name", "uploaded_at")

MAX_LINES = 20
MAX_LINE_CHARS = 100
MAX_TEXT_CHARS = 2000
MAX_CONTACTS = 10
HEIGHT_CM = (Decimal("30.0"), Decimal("130.0"))
WEIGHT_KG = (Decimal("1.0"), Decimal("40.0"))
_PHONE = re.compile(r"^\+?[0-9]{10,15}$")


class ProfileInvalid(ValidationError):
    """Bad input: nothing was written. ``message_dict`` maps field names to messages."""


@dataclass(frozen=True)
class ChildProfile:
    child: Child
    contacts: list[EmergencyContact]
    growth: list[GrowthRecord]
    certificates: list
    can_edit: bool


def child_profile(user, child_id: int) -> ChildProfile:
    """The child's profile (its care records) as the user may see it: the family, a facility
    while its relationship with the child is live, the ward's reviewer and administrator
    (``Action.CHILD_CARE_VIEW``; never the payments officer). Care fields only: never the
    household's fee class."""
    child = get_or_404(
        user, Action.CHILD_CARE_VIEW, Child.objects.select_related("household"), pk=child_id
    )
    contacts = list(child.emergency_contacts.all())
    growth = list(child.growth_records.order_by("-measured_on", "-pk"))
    certificates = doctor_certificates(user, child, audit=False)
    record("read", child, fields=PROFILE_FIELDS)
    record_many("read", contacts, fields=CONTACT_FIELDS)
    record_many("read", growth, fields=GROWTH_FIELDS)
    record_many("list", certificates, fields=CERTIFICATE_FIELDS)
    can_edit = allows(user, Action.CHILD_EDIT, child)
    return ChildProfile(child, contacts, growth, certificates, can_edit)


def doctor_certificates(user, child: Child, *, audit: bool = True) -> list:
    """The child's doctors' certificates the user may open (through ``files:download``)."""
    from tsuen.files.models import Purpose, StoredFile

    certificates = list(
        filter_allowed(
            user,
            Action.FILE_VIEW,
            StoredFile.objects.filter(child=child, purpose=Purpose.DOCTOR_CERTIFICATE),
        ).order_by("-uploaded_at", "-pk")
    )
    if audit:
        record_many("list", certificates, fields=CERTIFICATE_FIELDS)
    return certificates


def child_section(user, child_id: int, section: str) -> Child:
    """The child with one section's current values, for its edit form (family only)."""
    child = _editable_child(user, child_id)
    record("read", child, fields=SECTION_FIELDS[section])
    return child


def _editable_child(user, child_id: int, *, lock: bool = False) -> Child:
    children = Child.objects.select_related("household")
    if lock:
        children = children.select_for_update(of=("self",))
    return get_or_404(user, Action.CHILD_EDIT, children, pk=child_id)


def _lines(value, field: str, errors: dict) -> list[str]:
    items = [str(item).strip() for item in (value or [])]
    items = [item for item in items if item]
    if len(items) > MAX_LINES or any(len(item) > MAX_LINE_CHARS for item in items):
        errors[field] = _("Write at most %(lines)d lines of at most %(chars)d characters each.") % {
            "lines": MAX_LINES,
            "chars": MAX_LINE_CHARS,
        }
    return items


def _text(value, field: str, errors: dict) -> str:
    text = (value or "").strip()
    if len(text) > MAX_TEXT_CHARS:
        errors[field] = _("Write at most %(chars)d characters.") % {"chars": MAX_TEXT_CHARS}
    return text


def _raise(errors: dict) -> None:
    if errors:
        raise ProfileInvalid(errors)


def _save_section(
    user, child_id: int, values: dict, then=None, *, needs_consent: bool = False
) -> Child:
    """Write the changed fields of one section in one transaction and audit their names.
    ``needs_consent``: refuse (``ConsentRequired``) unless the household agreed to the current
    purpose notice."""
    from tsuen.consent.services import require_consent

    with transaction.atomic():
        child = _editable_child(user, child_id, lock=True)
        if needs_consent:
            require_consent(child.household_id)
        changed = [name for name, value in values.items() if getattr(child, name) != value]
        for name in changed:
            setattr(child, name, values[name])
        if changed:
            child.save(update_fields=changed)
            record("update", child, fields=changed)
        if then is not None:
            then(child)
    return child


def update_meals(user, child_id: int, *, allergies, meal_requirements) -> Child:
    """Diagnosed allergies (one per entry) and meal requirements, religious rules included."""
    errors: dict = {}
    values = {
        "allergies": _lines(allergies, "allergies", errors),
        "meal_requirements": _text(meal_requirements, "meal_requirements", errors),
    }
    _raise(errors)
    return _save_section(user, child_id, values, needs_consent=True)


def update_health(user, child_id: int, *, illnesses, vaccinations, certificate=None) -> Child:
    """Illnesses and vaccinations, and optionally a doctor's certificate (one upload path:
    ``files.services.store_upload``). A refused file leaves the lists unchanged too."""
    from tsuen.files.models import Purpose
    from tsuen.files.services import Owner, UploadRefused, check_upload, store_upload

    errors: dict = {}
    values = {
        "illnesses": _lines(illnesses, "illnesses", errors),
        "vaccinations": _lines(vaccinations, "vaccinations", errors),
    }
    _raise(errors)
    checked = owner = None
    if certificate is not None:  # scanned before the transaction (see files.services)
        from tsuen.consent.services import require_consent

        child = _editable_child(user, child_id)
        require_consent(child.household_id)  # before the scan; checked again when saving
        owner = Owner(child.household.municipality_id, child.household_id, child.pk)
        try:
            checked = check_upload(
                user, certificate, purpose=Purpose.DOCTOR_CERTIFICATE, owner=owner
            )
        except UploadRefused as refused:
            raise ProfileInvalid({"certificate": refused.messages}) from None

    def upload(child: Child) -> None:
        if checked is not None:
            store_upload(user, checked, purpose=Purpose.DOCTOR_CERTIFICATE, owner=owner)

    return _save_section(user, child_id, values, then=upload, needs_consent=True)


def update_pickup(user, child_id: int, *, pickup_persons) -> Child:
    """Who may drop the child off and pick the child up (name and relation, one per entry)."""
    errors: dict = {}
    values = {"pickup_persons": _lines(pickup_persons, "pickup_persons", errors)}
    _raise(errors)
    return _save_section(user, child_id, values)


def update_development(user, child_id: int, *, development_notes) -> Child:
    errors: dict = {}
    values = {"development_notes": _text(development_notes, "development_notes", errors)}
    _raise(errors)
    return _save_section(user, child_id, values, needs_consent=True)


# --- emergency contacts ------------------------------------------------------------------------


def contacts_for_edit(user, child_id: int) -> tuple[Child, list[EmergencyContact]]:
    child = _editable_child(user, child_id)
    contacts = list(child.emergency_contacts.all())
    record("read", child, fields=LIST_FIELDS)
    record_many("read", contacts, fields=CONTACT_FIELDS)
    return child, contacts


def contact_for_edit(user, contact_id: int) -> EmergencyContact:
    contact = get_or_404(
        user, Action.CHILD_EDIT, EmergencyContact.objects.select_related("child"), pk=contact_id
    )
    record("read", contact, fields=CONTACT_FIELDS)
    return contact


def _clean_contact(data: dict, child: Child) -> dict:
    """The service's own check of a contact: the form is a convenience, this is the rule."""
    errors: dict = {}
    name = (data.get("name") or "").strip()
    relation = (data.get("relation") or "").strip()
    phone = unicodedata.normalize("NFKC", data.get("phone") or "").strip()
    email = (data.get("email") or "").strip().lower()
    birth_date = data.get("birth_date")
    priority = data.get("priority")
    if not name or len(name) > 100:
        errors["name"] = _("Enter the contact's name (at most 100 characters).")
    if not relation or len(relation) > 30:
        errors["relation"] = _("Enter how the contact is related to the child (e.g. grandmother).")
    digits = re.sub(r"[\s()\-‐－ー]", "", phone)
    if not _PHONE.match(digits):
        errors["phone"] = _("Enter a phone number of 10 to 15 digits, e.g. 090-1234-5678.")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = _("Enter a valid email address.")
    if birth_date is not None and birth_date > clock.today():
        errors["birth_date"] = _("The date of birth cannot be in the future.")
    if priority is not None and not 1 <= priority <= MAX_CONTACTS:
        errors["priority"] = _("The order is a number from 1 to %(max)d.") % {"max": MAX_CONTACTS}
    _raise(errors)
    return dict(
        name=name, relation=relation, phone=phone, email=email, birth_date=birth_date,
        priority=priority,
    )  # fmt: skip


def add_emergency_contact(user, child_id: int, **data) -> EmergencyContact:
    """Add a contact at the end of the child's list (or at ``priority``)."""
    with transaction.atomic():
        child = _editable_child(user, child_id, lock=True)
        values = _clean_contact(data, child)
        count = child.emergency_contacts.count()
        if count >= MAX_CONTACTS:
            raise ProfileInvalid(
                {"name": _("A child can have at most %(max)d emergency contacts.")
                 % {"max": MAX_CONTACTS}}
            )  # fmt: skip
        if values["priority"] is None:
            values["priority"] = count + 1
        contact = EmergencyContact.objects.create(child=child, **values)
        record("create", contact, fields=CONTACT_FIELDS)
    return contact


def update_emergency_contact(user, contact_id: int, **data) -> EmergencyContact:
    with transaction.atomic():
        contact = get_or_404(
            user,
            Action.CHILD_EDIT,
            EmergencyContact.objects.select_for_update(of=("self",)).select_related("child"),
            pk=contact_id,
        )
        values = _clean_contact(data, contact.child)
        if values["priority"] is None:
            values["priority"] = contact.priority
        changed = [name for name, value in values.items() if getattr(contact, name) != value]
        for name in changed:
            setattr(contact, name, values[name])
        if changed:
            contact.save(update_fields=changed)
            record("update", contact, fields=changed)
    return contact


def delete_emergency_contact(user, contact_id: int) -> Child:
    with transaction.atomic():
        contact = get_or_404(
            user, Action.CHILD_EDIT, EmergencyContact.objects.select_related("child"), pk=contact_id
        )
        child = contact.child
        record("delete", contact, fields=CONTACT_FIELDS)
        contact.delete()
    return child


# --- growth records ----------------------------------------------------------------------------


def growth_for_edit(user, child_id: int) -> tuple[Child, list[GrowthRecord]]:
    child = _editable_child(user, child_id)
    growth = list(child.growth_records.order_by("-measured_on", "-pk"))
    record("read", child, fields=LIST_FIELDS)
    record_many("read", growth, fields=GROWTH_FIELDS)
    return child, growth


def add_growth_record(user, child_id: int, *, measured_on, height_cm, weight_kg) -> GrowthRecord:
    """A measurement of height and weight on a day between birth and today."""
    with transaction.atomic():
        child = _editable_child(user, child_id, lock=True)
        errors: dict = {}
        if measured_on is None or measured_on > clock.today():
            errors["measured_on"] = _("The date of the measurement cannot be in the future.")
        elif measured_on < child.birth_date:
            errors["measured_on"] = _("The date of the measurement is before the child's birth.")
        height_message = _("Enter a height between %(low)s and %(high)s cm.")
        weight_message = _("Enter a weight between %(low)s and %(high)s kg.")
        for field, value, (low, high), message in (
            ("height_cm", height_cm, HEIGHT_CM, height_message),
            ("weight_kg", weight_kg, WEIGHT_KG, weight_message),
        ):
            if value is None or not low <= Decimal(value) <= high:
                errors[field] = message % {"low": low, "high": high}
        _raise(errors)
        growth = GrowthRecord.objects.create(
            child=child,
            measured_on=measured_on,
            height_cm=Decimal(height_cm).quantize(Decimal("0.1")),
            weight_kg=Decimal(weight_kg).quantize(Decimal("0.1")),
        )
        record("create", growth, fields=GROWTH_FIELDS)
    return growth


def delete_growth_record(user, record_id: int) -> Child:
    with transaction.atomic():
        growth = get_or_404(
            user, Action.CHILD_EDIT, GrowthRecord.objects.select_related("child"), pk=record_id
        )
        child = growth.child
        record("delete", growth, fields=GROWTH_FIELDS)
        growth.delete()
    return child


# --- Proxy users (代理利用者) -------------------------------------------------------------------

PROXY_INVITATION_DAYS = 7
MAX_OPEN_INVITATIONS = 5


class ProxyRefused(ValidationError):
    """A proxy invitation could not be sent or accepted; the message says why."""


@dataclass(frozen=True)
class Recipient:
    """Someone who gets a notice but may have no account yet (``notify`` reads these two)."""

    email: str
    language: str


@dataclass(frozen=True)
class Invited:
    invitation: ProxyInvitation
    token: str  # only ever in the email's link; the database keeps its hash


@dataclass(frozen=True)
class Proxies:
    household: Household
    grants: list[ProxyGrant]
    invitations: list[ProxyInvitation]


def managed_household(user) -> Household:
    """The household whose proxies the user manages: a guardian's own (404 for anyone else)."""
    require(user, Action.PROXY_MANAGE, Household)
    household = filter_allowed(user, Action.PROXY_MANAGE, Household.objects.all()).first()
    if household is None:
        raise Http404
    return household


def manages_proxies(user) -> bool:
    """Whether the user manages some household's proxy users (for showing the link)."""
    return filter_allowed(user, Action.PROXY_MANAGE, Household.objects.all()).exists()


def _open_invitations(household: Household):
    return household.proxy_invitations.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=clock.now()
    )


def proxies_for(user) -> Proxies:
    """The household's live proxy grants and open invitations."""
    household = managed_household(user)
    grants = list(
        household.proxies.filter(revoked_at__isnull=True).select_related("user").order_by("pk")
    )
    invitations = list(_open_invitations(household).order_by("-created_at", "-pk"))
    record_many("list", grants, fields=["user", "granted_at"])
    record_many("list", invitations, fields=["email", "expires_at"])
    return Proxies(household, grants, invitations)


def invite_proxy(user, email: str) -> Invited:
    """Invite ``email`` to act for the user's household; the link is mailed after commit.

    Nothing here says whether an account exists for the address (no enumeration): an address
    that cannot become a proxy is refused when the link is opened. A new invitation to the same
    address replaces the open one."""
    from tsuen.accounts.models import User
    from tsuen.notices.kinds import Notice
    from tsuen.notices.services import notify

    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ProxyRefused(_("Enter a valid email address.")) from None
    with transaction.atomic():
        household = managed_household(user)
        Household.objects.select_for_update().filter(pk=household.pk).first()  # one at a time
        if email == user.email.lower() or household.guardians.filter(user__email=email).exists():
            raise ProxyRefused(_("This address belongs to a guardian of your household."))
        if household.proxies.filter(revoked_at__isnull=True, user__email=email).exists():
            raise ProxyRefused(_("This person is already a proxy user of your household."))
        now = clock.now()
        replaced = list(_open_invitations(household).filter(email=email))
        for old in replaced:
            old.revoked_at = now
            old.save(update_fields=["revoked_at"])
            record("update", old, fields=["revoked_at"])
        if _open_invitations(household).count() >= MAX_OPEN_INVITATIONS:
            raise ProxyRefused(
                _("You have %(max)d open invitations. Withdraw one before sending another.")
                % {"max": MAX_OPEN_INVITATIONS}
            )
        token = secrets.token_urlsafe(32)
        invitation = ProxyInvitation.objects.create(
            household=household,
            email=email,
            token_hash=token_hash(token),
            invited_by=user,
            expires_at=now + dt.timedelta(days=PROXY_INVITATION_DAYS),
        )
        record("create", invitation, fields=["email", "expires_at"])
        existing = User.objects.filter(email=email).values_list("language", flat=True).first()
        inviter = getattr(user, "guardian", None)
        notify(
            Notice.PROXY_INVITATION,
            Recipient(email, existing or user.language),
            inviter_name=inviter.full_name if inviter else user.email,
            expires_at=timezone.localtime(invitation.expires_at),
            path=reverse("families:proxy_accept", args=[token]),
        )
    return Invited(invitation, token)


def _invitation_refusal(invitation: ProxyInvitation | None, user) -> str | None:
    """Why ``user`` cannot accept ``invitation`` now, or None when they can."""
    from tsuen.accounts.models import Role
    from tsuen.certification.models import Application

    if invitation is None or invitation.revoked_at is not None:
        return _("This invitation link is not valid. Ask the guardian to send a new invitation.")
    if invitation.accepted_at is not None:
        return _("This invitation has already been used.")
    if invitation.expires_at <= clock.now():
        return _("This invitation has expired. Ask the guardian to send a new invitation.")
    if not user.is_authenticated:
        return None  # the page asks them to log in or sign up first
    if user.email.lower() != invitation.email:
        return _(
            "This invitation was sent to another email address. Log in with the address that "
            "received the invitation."
        )
    if user.role not in (Role.GUARDIAN, Role.PROXY):
        return _("A staff account cannot act as a proxy user.")
    if user.role == Role.GUARDIAN and (
        Guardian.objects.filter(user=user).exists()
        or Application.objects.filter(applicant=user).exists()
    ):
        return _(
            "This account is a guardian's own account, so it cannot become a proxy user. Sign up "
            "with another email address to act for another household."
        )
    if invitation.household.proxies.filter(user=user, revoked_at__isnull=True).exists():
        return _("You are already a proxy user of this household.")
    return None


@dataclass(frozen=True)
class InvitationCheck:
    refusal: str | None  # why it cannot be accepted; None: it can


def check_invitation(user, token: str) -> InvitationCheck:
    """Whether the invitation behind ``token`` can be accepted by ``user`` (no data shown)."""
    invitation = (
        ProxyInvitation.objects.select_related("household").filter(token_hash=token_hash(token))
    ).first()
    return InvitationCheck(_invitation_refusal(invitation, user))


def accept_proxy_invitation(user, token: str) -> ProxyGrant:
    """Accept an invitation: the user becomes a proxy user of the household.

    A fresh account (a guardian role with no household or application of its own) becomes a
    PROXY account; an existing guardian's account is refused (docs/families.md)."""
    from tsuen.accounts.models import Role, User

    with transaction.atomic():
        invitation = (
            ProxyInvitation.objects.select_for_update(of=("self",))
            .select_related("household")
            .filter(token_hash=token_hash(token))
            .first()
        )
        if refusal := _invitation_refusal(invitation, user):
            raise ProxyRefused(refusal)
        household = invitation.household
        grant = ProxyGrant.objects.create(
            household=household, user=user, granted_by=invitation.invited_by
        )
        invitation.accepted_at, invitation.accepted_by = clock.now(), user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        if user.role != Role.PROXY:
            account = User.objects.select_for_update().get(pk=user.pk)
            account.role = Role.PROXY
            account.save(update_fields=["role"])
            record("update", account, fields=["role"])
        record("update", invitation, fields=["accepted_at", "accepted_by"])
        record("create", grant, fields=["household", "user"], subjects=household.children.all())
    return grant


def revoke_proxy(user, grant_id: int) -> ProxyGrant:
    """End a proxy user's access at once (the authorization rules read live grants only)."""
    with transaction.atomic():
        grant = get_or_404(
            user,
            Action.PROXY_MANAGE,
            ProxyGrant.objects.select_for_update(of=("self",)).filter(revoked_at__isnull=True),
            pk=grant_id,
        )
        grant.revoked_at = clock.now()
        grant.save(update_fields=["revoked_at"])
        record("update", grant, fields=["revoked_at"], subjects=grant.household.children.all())
    return grant


def revoke_invitation(user, invitation_id: int) -> ProxyInvitation:
    """Withdraw an invitation that has not been accepted: its link stops working."""
    with transaction.atomic():
        invitation = get_or_404(
            user,
            Action.PROXY_MANAGE,
            ProxyInvitation.objects.select_for_update(of=("self",)).filter(
                accepted_at__isnull=True, revoked_at__isnull=True
            ),
            pk=invitation_id,
        )
        invitation.revoked_at = clock.now()
        invitation.save(update_fields=["revoked_at"])
        record("update", invitation, fields=["revoked_at"])
    return invitation
