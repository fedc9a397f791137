"""API clients: created, rotated and revoked by a ward's administrator (the ward's clients) or a
facility's manager (the facility's), and recognised by their secret on every call.

Every function authorizes through ``tsuen.authz.policy`` (``Action.API_CLIENT_MANAGE``: out of
reach answers 404), writes in one transaction and audits. The secret is returned once, by
:func:`create` and :func:`rotate`, and never stored: only its SHA-256.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from tsuen.accounts.models import User
from tsuen.api import scopes as scope_list
from tsuen.api.models import ApiClient
from tsuen.audit import record, record_many
from tsuen.authz.policy import Action, filter_allowed, get_or_404
from tsuen.core import clock, confirm
from tsuen.facilities.models import Facility
from tsuen.municipalities.models import Municipality

#: How a token starts: ``tsuen_<prefix>_<secret>``.
TOKEN_PREFIX = "tsuen"  # noqa: S105  (a fixed label, not a secret)  # nosec B105
#: ``last_used_at`` is written at most this often (not one write per call).
LAST_USED_EVERY = dt.timedelta(minutes=1)
#: What the audit trail records of a client (its name and scopes; never the secret).
CLIENT_FIELDS = ("name", "scopes")
NAME_MAX_LENGTH = 100


class ClientRefused(ValidationError):
    """The action cannot be done (the reason in the user's language)."""


@dataclass(frozen=True)
class Owner:
    kind: str  # scopes.WARD or scopes.FACILITY
    municipality: Municipality | None = None
    facility: Facility | None = None

    @property
    def name(self) -> str:
        return str(self.municipality or self.facility)


def owner_of(user) -> Owner:
    """The ward (its administrator) or the facility (its manager) whose clients ``user``
    manages; 404 for anyone else."""
    if not user.is_authenticated:
        raise Http404
    if user.municipality_id:
        ward = get_or_404(
            user, Action.API_CLIENT_MANAGE, Municipality.objects.all(), pk=user.municipality_id
        )
        return Owner(scope_list.WARD, municipality=ward)
    if user.facility_id:
        facility = get_or_404(
            user, Action.API_CLIENT_MANAGE, Facility.objects.all(), pk=user.facility_id
        )
        return Owner(scope_list.FACILITY, facility=facility)
    raise Http404


def _owned(owner: Owner):
    if owner.municipality is not None:
        return ApiClient.objects.filter(municipality=owner.municipality)
    return ApiClient.objects.filter(facility=owner.facility)


def clients(user) -> tuple[Owner, list[ApiClient]]:
    owner = owner_of(user)
    rows = list(
        filter_allowed(user, Action.API_CLIENT_MANAGE, _owned(owner)).order_by(
            "revoked_at", "-created_at", "-pk"
        )
    )
    record_many("list", rows, fields=CLIENT_FIELDS)
    return owner, rows


def client(user, client_id: int) -> ApiClient:
    found = get_or_404(user, Action.API_CLIENT_MANAGE, ApiClient.objects.all(), pk=client_id)
    record("read", found, fields=CLIENT_FIELDS, municipality_id=_ward_id(found))
    return found


def _ward_id(c: ApiClient) -> int:
    return c.municipality_id or Facility.objects.values_list("municipality_id", flat=True).get(
        pk=c.facility_id
    )


def _new_secret() -> tuple[str, str, str]:
    """(token, prefix, sha256 of the secret part)."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return f"{TOKEN_PREFIX}_{prefix}_{secret}", prefix, _digest(secret)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _clean(owner: Owner, name: str, chosen) -> tuple[str, list[str]]:
    errors: dict[str, list] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [ValidationError(_("Give the client a name."), code="required")]
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = [
            ValidationError(
                _("Keep it to %(max)d characters.") % {"max": NAME_MAX_LENGTH}, code="too_long"
            )
        ]
    allowed = {s.name for s in scope_list.for_owner(owner.kind)}
    chosen = sorted(set(chosen or ()))
    if not chosen:
        errors["scopes"] = [ValidationError(_("Choose at least one scope."), code="required")]
    elif not set(chosen) <= allowed:
        errors["scopes"] = [
            ValidationError(_("Choose scopes from the list."), code="invalid_scope")
        ]
    if errors:
        raise ClientRefused(errors)
    return name, chosen


@dataclass(frozen=True)
class Issued:
    client: ApiClient
    token: str  # shown once


def create(user, name: str, chosen_scopes) -> Issued:
    """A new client of the user's ward or facility, with its own system user acting in the
    least privileged role that serves its scopes."""
    owner = owner_of(user)
    name, chosen = _clean(owner, name, chosen_scopes)
    token, prefix, digest = _new_secret()
    with transaction.atomic():
        system = User(
            email=f"api-client-{uuid.uuid4().hex}@api-clients.invalid",
            full_name=f"API: {name}"[:100],
            role=scope_list.role_for(owner.kind, chosen),
            municipality=owner.municipality,
            facility=owner.facility,
        )
        system.set_unusable_password()  # never logs in interactively
        system.save()
        made = ApiClient.objects.create(
            name=name,
            municipality=owner.municipality,
            facility=owner.facility,
            user=system,
            scopes=chosen,
            key_prefix=prefix,
            secret_hash=digest,
            created_by=user,
        )
        record("create", made, fields=CLIENT_FIELDS, municipality_id=_ward_id(made))
    return Issued(made, token)


def _locked(user, client_id: int) -> ApiClient:
    found = get_or_404(
        user,
        Action.API_CLIENT_MANAGE,
        ApiClient.objects.select_for_update(of=("self",)),
        pk=client_id,
    )
    if found.revoked_at is not None:
        raise ClientRefused(_("This client has been revoked."), code="revoked")
    return found


def change_token(found: ApiClient, what: str) -> str:
    """The token of what the confirmation page showed (the client and its current key)."""
    return confirm.token(what, found.pk, found.key_prefix, found.revoked_at)


def rotate(user, client_id: int, *, confirm_token: str | None) -> Issued:
    """A new secret; the old one stops working at once."""
    with transaction.atomic():
        found = _locked(user, client_id)
        confirm.require(confirm_token, change_token(found, "rotate"))
        token, prefix, digest = _new_secret()
        found.key_prefix = prefix
        found.secret_hash = digest
        found.rotated_at = clock.now()
        found.save(update_fields=["key_prefix", "secret_hash", "rotated_at"])
        record(
            "update", found, fields=["secret_hash", "rotated_at"], municipality_id=_ward_id(found)
        )
    return Issued(found, token)


def revoke(user, client_id: int, *, confirm_token: str | None) -> ApiClient:
    """The client can no longer call the API; this cannot be undone (make a new client)."""
    with transaction.atomic():
        found = _locked(user, client_id)
        confirm.require(confirm_token, change_token(found, "revoke"))
        found.revoked_at = clock.now()
        found.save(update_fields=["revoked_at"])
        User.objects.filter(pk=found.user_id).update(is_active=False)
        record("update", found, fields=["revoked_at"], municipality_id=_ward_id(found))
    return found


# --- On every call ----------------------------------------------------------------------------


def authenticate(token: str) -> ApiClient | None:
    """The live client whose token this is, or None (unknown, malformed, rotated, revoked,
    its system user deactivated). Constant-time comparison of the secret's hash."""
    parts = (token or "").strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    if len(parts[1]) > 16 or len(parts[2]) > 128:
        return None
    found = (
        ApiClient.unscoped.select_related("user", "facility")
        .filter(key_prefix=parts[1], revoked_at__isnull=True)
        .first()
    )
    digest = _digest(parts[2])
    if found is None:
        hmac.compare_digest(digest, digest)  # the same work either way
        return None
    if not hmac.compare_digest(found.secret_hash, digest) or not found.user.is_active:
        return None
    return found


def touch(found: ApiClient) -> None:
    """Note when the client was last used (at most once a minute)."""
    now = clock.now()
    if found.last_used_at is None or now - found.last_used_at >= LAST_USED_EVERY:
        ApiClient.unscoped.filter(pk=found.pk).update(last_used_at=now)
        found.last_used_at = now
