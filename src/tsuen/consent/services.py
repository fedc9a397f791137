"""Consent to the purpose notice: showing it, agreeing, withdrawing, and the check every
service that saves sensitive data makes first (:func:`require_consent`).

Who may agree for a household: its guardians, and the applicant of an application for it (a
first-time applicant has no guardian row until the application is sent). Not a proxy user: a
proxy acts for the household but is not the children's legal representative; a proxy sees the
notice and whether a guardian agreed, and may enter sensitive data once one has.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from tsuen.accounts.models import Role
from tsuen.audit import record
from tsuen.authz.policy import Action, allows, filter_allowed, get_or_404
from tsuen.consent.models import Consent
from tsuen.consent.notice import PurposeNotice, current_notice
from tsuen.core import clock
from tsuen.families.models import Household

CONSENT_FIELDS = ("notice_version", "given_at")
WITHDRAWAL_FIELDS = ("withdrawn_at", "withdrawn_by")


class ConsentRequired(ValidationError):
    """Sensitive data was about to be saved for a household without a live consent to the
    current purpose notice. Nothing was written; ``url`` leads to the notice."""

    def __init__(self, household_id: int):
        self.url = reverse("consent:notice", args=[household_id])
        super().__init__(
            _(
                "Before health, care or fee-class information can be saved, a guardian must "
                'read the purpose notice (利用目的) and agree to it. Open "Purpose notice and '
                'your data" to read it.'
            ),
            code="consent_required",
        )


class ConsentInvalid(ValidationError):
    """A consent or withdrawal that cannot be done now; nothing was written."""


def live_consents(household_id: int) -> QuerySet[Consent]:
    return Consent.unscoped.filter(household_id=household_id, withdrawn_at__isnull=True)


def current_consent(household_id: int, notice: PurposeNotice | None = None) -> Consent | None:
    """The household's live consent to the notice in effect, or None."""
    notice = notice or current_notice()
    return (
        live_consents(household_id)
        .filter(notice_version=notice.version)
        .order_by("-given_at")
        .first()
    )


def has_consent(household_id: int) -> bool:
    return current_consent(household_id) is not None


def require_consent(household_id: int) -> None:
    """Refuse (:class:`ConsentRequired`) unless the household has agreed to the current notice.
    Every service saving sensitive data calls this inside its transaction, before writing."""
    if not has_consent(household_id):
        raise ConsentRequired(household_id)


# --- the guardian's page ------------------------------------------------------------------


def households_for(user) -> list[Household]:
    """The households whose notice the user may open (guardian, proxy, applicant)."""
    if not user.is_authenticated or user.role not in (Role.GUARDIAN, Role.PROXY):
        raise Http404
    return list(
        filter_allowed(user, Action.CONSENT_VIEW, Household.objects.all())
        .select_related("municipality")
        .order_by("pk")
    )


@dataclass(frozen=True)
class ConsentPage:
    household: Household
    notice: PurposeNotice
    current: Consent | None
    history: list[Consent]
    may_agree: bool
    may_disclose: bool

    @property
    def earlier_version_agreed(self) -> bool:
        """A consent to an older notice still stands: the guardian is asked again."""
        return self.current is None and any(
            c.is_live and c.notice_version < self.notice.version for c in self.history
        )


def consent_page(user, household_id: int) -> ConsentPage:
    household = get_or_404(
        user,
        Action.CONSENT_VIEW,
        Household.objects.select_related("municipality"),
        pk=household_id,
    )
    notice = current_notice()
    history = list(
        Consent.unscoped.filter(household=household)
        .select_related("given_by", "withdrawn_by")
        .order_by("-given_at", "-pk")
    )
    current = next((c for c in history if c.is_live and c.notice_version == notice.version), None)
    return ConsentPage(
        household=household,
        notice=notice,
        current=current,
        history=history,
        may_agree=allows(user, Action.CONSENT_GIVE, household),
        may_disclose=allows(user, Action.DISCLOSURE_REQUEST, household),
    )


def _subjects(household: Household) -> list:
    return [*household.children.all(), *household.guardians.all()]


def _locked_household(user, action: Action, household_id: int) -> Household:
    return get_or_404(
        user, action, Household.objects.select_for_update(of=("self",)), pk=household_id
    )


def give_consent(user, household_id: int, *, version: int) -> Consent:
    """Record that ``user`` agreed, for the household, to notice ``version`` (the version the
    page showed). Refused when that version is no longer the one in effect (the notice changed
    while the page was open) or when the household already agreed to it."""
    with transaction.atomic():
        household = _locked_household(user, Action.CONSENT_GIVE, household_id)
        notice = current_notice()
        if version != notice.version:
            raise ConsentInvalid(
                _(
                    "The purpose notice changed while you were reading it. Read the new "
                    "version below and agree again."
                )
            )
        if current_consent(household.pk, notice) is not None:
            raise ConsentInvalid(_("Your household has already agreed to this version."))
        consent = Consent.objects.create(
            household=household,
            given_by=user,
            notice_version=notice.version,
            given_at=clock.now(),
        )
        record("create", consent, fields=CONSENT_FIELDS, subjects=_subjects(household))
    return consent


def withdraw_consent(user, household_id: int) -> int:
    """Withdraw every live consent of the household; returns how many. Data already held is
    kept (see docs/consent.md); new sensitive data is refused until a guardian agrees again."""
    with transaction.atomic():
        household = _locked_household(user, Action.CONSENT_GIVE, household_id)
        live = list(live_consents(household.pk).select_for_update())
        if not live:
            raise ConsentInvalid(_("Your household has no consent to withdraw."))
        now = clock.now()
        subjects = _subjects(household)
        for consent in live:
            consent.withdrawn_at = now
            consent.withdrawn_by = user
            consent.save(update_fields=list(WITHDRAWAL_FIELDS))
            record("update", consent, fields=WITHDRAWAL_FIELDS, subjects=subjects)
    return len(live)
