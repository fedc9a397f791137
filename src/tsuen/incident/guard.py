"""Where the emergency switches bite: one middleware for every request, one signal for every
write of a ward's rows (docs/incident.md, "Where the switches are enforced").

``EmergencySwitchMiddleware`` reads the live switches on every request (the switches that stay
on, and the session revocations newer than the ones this session has seen; for a signed-in
account, first in the account's own statement whether there is any, :func:`account_annotations`)
and, when one reaches the signed-in user:

* **sessions revoked** (everyone, the user's ward, or the user): the session ends here and the
  user is sent to the login page;
* **role turned off** (the user's role, nationally or in the user's ward): every request is
  refused (403, a page saying why) except logging out and choosing a language;
* **ward read-only** (the user's ward, or every ward): every request that writes (any method
  but GET, HEAD, OPTIONS) is refused (423, a page saying why) before any view runs, except the
  incident screen itself (so that the switch can be released), re-authentication, protected
  exports (a copy for reading) and logging out. Reads go on.

The user's ward is the one ``core.dates.ward_of`` finds: a municipal account's own, a
facility's ward, a guardian's (or proxy's) household's ward.

Writes *to* a read-only ward's data by someone of another ward (a guardian of ward B booking a
place at a facility of ward A, the national operator editing ward A) are refused one level
lower, where every ORM write passes: ``pre_save`` and ``pre_delete`` of any model that belongs to
a municipality (the audit trail's own owner lookup, ``TENANT_PATHS`` or a ``municipality`` foreign
key) raise :class:`WardReadOnly`, the request's transaction rolls back and the middleware answers
the same 423 page. What is exempt: the audit trail, protected exports, the switches themselves,
and an account's own login bookkeeping (``last_login``, a password rehash).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Exists, Max, Q, Subquery
from django.db.models.signals import pre_delete, pre_save
from django.shortcuts import render
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _

from tsuen.core.compiled import CompiledQuery
from tsuen.incident.models import LASTING, EmergencySwitch, Kind

#: Session key: the highest session revocation this session has outlived (set at login, and
#: for the person who pulls a revocation, so that they stay signed in).
SESSION_SEEN_KEY = "tsuen.incident.revocations_seen"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Everyone may leave or change language, whatever is switched off.
ALWAYS_OPEN = frozenset({"account_logout", "set_language"})
#: Open to POSTs in a read-only ward: releasing the switch, re-authenticating, protected
#: exports (copies to read, e.g. the blast-radius CSV).
OPEN_FOR_WRITES = ALWAYS_OPEN | {
    "account_reauthenticate",
    "mfa_reauthenticate",
    "mfa_reauthenticate_webauthn",
    "audit:export",
}
OPEN_NAMESPACES_FOR_WRITES = frozenset({"incident", "exports"})
#: Rows a read-only ward still writes: the trail of what happens, copies for reading, the
#: switches themselves.
EXEMPT_APPS = frozenset({"audit", "exports", "incident", "sessions", "axes"})
#: An account's own login bookkeeping is not a write of the ward's data.
LOGIN_FIELDS = frozenset({"last_login", "password"})

ALL_WARDS = "all"

#: The wards whose data may not be written in this request (ids, or ``ALL_WARDS``).
_read_only: ContextVar[frozenset] = ContextVar("tsuen_incident_read_only", default=frozenset())


class WardReadOnly(Exception):
    """A write to the data of a ward that is read-only."""


@contextmanager
def read_only_wards(wards: frozenset) -> Iterator[None]:
    token = _read_only.set(wards)
    try:
        yield
    finally:
        _read_only.reset(token)


def latest_revocation() -> int:
    return (
        EmergencySwitch.objects.filter(kind=Kind.REVOKE_SESSIONS).aggregate(m=Max("pk"))["m"] or 0
    )


def mark_seen(request, up_to: int | None = None) -> None:
    """This session has outlived every revocation up to ``up_to`` (default: the latest)."""
    request.session[SESSION_SEEN_KEY] = latest_revocation() if up_to is None else up_to


def _stamp_login(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        mark_seen(request)


def _live(seen=None):
    q = Q(kind__in=sorted(LASTING), released_at__isnull=True)
    if seen is not None:
        q |= Q(kind=Kind.REVOKE_SESSIONS, pk__gt=seen)
    return EmergencySwitch.objects.filter(q).select_related("municipality")


#: Every request asks: compiled once (``core.compiled``), for a signed-in session and for a
#: visitor.
_LIVE_SIGNED_IN = CompiledQuery(lambda seen: _live(seen), seen="int")
_LIVE_VISITOR = CompiledQuery(lambda: _live())


#: Read with the signed-in account itself (``accounts.backends``), in the same statement:
#: whether any lasting switch is on, and the latest session revocation. A request that finds
#: nothing new there needs no statement of its own for the switches (at the 09:00 rush, one
#: round trip fewer a request); anything else reads them whole (:func:`live_switches`).
SWITCHES_ON = "emergency_switches_on"
LATEST_REVOCATION = "emergency_latest_revocation"


def account_annotations() -> dict:
    """The annotations of the account's own query (see ``SWITCHES_ON``)."""
    lasting = EmergencySwitch.objects.filter(kind__in=sorted(LASTING), released_at__isnull=True)
    revocations = EmergencySwitch.objects.filter(kind=Kind.REVOKE_SESSIONS).order_by("-pk")
    return {
        SWITCHES_ON: Exists(lasting),
        LATEST_REVOCATION: Subquery(revocations.values("pk")[:1]),
    }


def _nothing_new(user, seen: int) -> bool:
    """The account's read of this request found no switch on and no revocation after ``seen``
    (False when the account was not read that way: then the switches are read)."""
    on = getattr(user, SWITCHES_ON, None)
    if on is None:
        return False
    return not on and (getattr(user, LATEST_REVOCATION, None) or 0) <= seen


def live_switches(seen: int | None) -> list[EmergencySwitch]:
    """The switches that are on, and the revocations after ``seen`` (None: none at all)."""
    if seen is None:
        return _LIVE_VISITOR.objects()
    return _LIVE_SIGNED_IN.objects(seen=seen)


def _reaches(switch: EmergencySwitch, ward_id: int | None) -> bool:
    return switch.municipality_id is None or switch.municipality_id == ward_id


def _route(request) -> tuple[str, str]:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return "", ""
    return match.namespace, match.view_name


class EmergencySwitchMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.emergency = []
        user = request.user
        signed_in = user.is_authenticated
        seen = None
        if signed_in:
            raw = request.session.get(SESSION_SEEN_KEY, 0)
            seen = raw if isinstance(raw, int) else 0
            if _nothing_new(user, seen):
                return self.get_response(request)
        elif request.method in SAFE_METHODS:
            # A visitor's read: no session to end, no role, nothing written. Not asked at all
            # (the health checks answer even when the database does not).
            return self.get_response(request)
        switches = live_switches(seen)
        if not switches:
            return self.get_response(request)

        from tsuen.core.dates import ward_of

        ward = ward_of(user) if signed_in else None
        ward_id = ward.pk if ward else None
        if signed_in:
            revoked = [
                s
                for s in switches
                if s.kind == Kind.REVOKE_SESSIONS
                and (s.target_user_id == user.pk if s.target_user_id else _reaches(s, ward_id))
            ]
            if revoked:
                logout(request)
                messages.info(
                    request,
                    _("Your session was ended by an emergency switch. Please log in again."),
                )
                return redirect_to_login(request.get_full_path(), reverse("account_login"))
            if [s.pk for s in switches if s.kind == Kind.REVOKE_SESSIONS]:
                # Revocations that did not reach this user: remember them, so that this session
                # need not look at them again.
                request.session[SESSION_SEEN_KEY] = max(
                    s.pk for s in switches if s.kind == Kind.REVOKE_SESSIONS
                )
        lasting = [s for s in switches if s.kind in LASTING]
        namespace, name = _route(request)
        if signed_in:
            request.emergency = [
                s
                for s in lasting
                if _reaches(s, ward_id) and (s.kind == Kind.READ_ONLY or s.role == user.role)
            ]
            off = [s for s in request.emergency if s.kind == Kind.DISABLE_ROLE]
            if off and name not in ALWAYS_OPEN:
                return render(request, "incident/role_off.html", {"switches": off}, status=403)
        read_only = [s for s in lasting if s.kind == Kind.READ_ONLY]
        wards = frozenset(
            ALL_WARDS if s.municipality_id is None else s.municipality_id for s in read_only
        )
        writes = request.method not in SAFE_METHODS
        open_route = name in OPEN_FOR_WRITES or namespace in OPEN_NAMESPACES_FOR_WRITES
        if writes and not open_route and any(_reaches(s, ward_id) for s in read_only) and signed_in:
            return refused(request)
        if open_route:
            wards = frozenset()  # the switch screen and exports write only exempt rows
        with read_only_wards(wards):
            return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, WardReadOnly):
            return refused(request)
        return None


def refused(request):
    return render(request, "incident/read_only.html", {}, status=423)


# --- Writes to a read-only ward's rows ---------------------------------------------------------


def _owner(instance, path: str) -> int | None:
    """The id of the municipality that owns ``instance`` along ``path`` (``pk``,
    ``municipality`` or ``a__b__municipality``), following the foreign keys the instance holds
    even before it is saved (the base managers are unscoped)."""
    if path == "pk":
        return instance.pk
    *hops, last = path.split("__")
    obj = instance
    try:
        for hop in hops:
            obj = getattr(obj, hop)
            if obj is None:
                return None
        return getattr(obj, f"{last}_id")
    except ObjectDoesNotExist:
        return None


def _check_write(sender, instance, **kwargs) -> None:
    wards = _read_only.get()
    if not wards:
        return
    update_fields = kwargs.get("update_fields")
    if update_fields and set(update_fields) <= LOGIN_FIELDS:
        return
    from tsuen.audit.services import _municipality_path

    path = _municipality_path(sender)
    if path is None:
        return
    if ALL_WARDS in wards or _owner(instance, path) in wards:
        raise WardReadOnly(sender._meta.label)


def guarded_models() -> list:
    """Every model whose rows belong to a municipality, but the exempt apps'."""
    from django.apps import apps

    from tsuen.audit.services import _municipality_path

    return [
        model
        for model in apps.get_models()
        if model._meta.app_label not in EXEMPT_APPS and _municipality_path(model) is not None
    ]


def connect() -> None:
    """Only the guarded models get the signals: a ``pre_delete`` receiver turns Django's fast
    bulk delete into a collected one, which the other models keep."""
    for model in guarded_models():
        label = model._meta.label_lower
        pre_save.connect(_check_write, sender=model, dispatch_uid=f"incident_save_{label}")
        pre_delete.connect(_check_write, sender=model, dispatch_uid=f"incident_delete_{label}")
    user_logged_in.connect(_stamp_login, dispatch_uid="incident_stamp_login")
