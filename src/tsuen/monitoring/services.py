"""The ward's anomaly desk: listing the anomalies found in its audit log and disposing of them.

Who may is decided by the authorization layer (ANOMALY_VIEW, ANOMALY_DISPOSE: the ward's
administrator and auditor, their own ward only; anyone else 404). Listing records which
anomalies were shown (they name staff accounts); a disposition is final, made once, with a
note, and is itself an audit event (``anomaly_disposed``). A second disposition is refused: an
escalated anomaly goes on outside tsuen (docs/monitoring.md), an explained one stays explained.
"""

from __future__ import annotations

import dataclasses

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tsuen.accounts.models import Role, User
from tsuen.audit import Action, record, record_many
from tsuen.authz.policy import RELATIONSHIP_DAYS, filter_allowed, get_or_404, require
from tsuen.authz.policy import Action as Can
from tsuen.core import clock, dates
from tsuen.monitoring import rules
from tsuen.monitoring.models import Anomaly, Disposition, Rule

#: What each rule means, in the ward official's words (docs/monitoring.md says more).
EXPLANATIONS = {
    Rule.OFF_HOURS: gettext_lazy(
        "The account read or changed a child's or a guardian's data outside office hours "
        "(before %(opens)s or from %(closes)s, or on a Saturday, Sunday or national holiday). "
        "Check whether the work was arranged: night duty, an emergency, a facility open that day."
    ),
    Rule.VOLUME: gettext_lazy(
        "The account read far more different children in one day than the other accounts of "
        "the same role in the ward: at least %(floor)s children and more than %(factor)s times "
        "their median. Check whether a task explains it, such as a review of many applications."
    ),
    Rule.NO_RELATIONSHIP: gettext_lazy(
        "Staff of a facility read a child's sensitive data (health, allergies, disability, "
        "family circumstances) although the child had no booking and no first interview at "
        "their facility from %(days)s days before that day. Ask the facility why."
    ),
    Rule.BULK_EXPORT: gettext_lazy(
        "The account exported or downloaded data more than %(exports)s times, or more than "
        "%(rows)s rows, in one day. Check that every export had a purpose."
    ),
    Rule.DENIALS: gettext_lazy(
        "Access was refused %(denials)s times or more within one hour to one account or from "
        "one address: someone may be trying to get in, for example from outside the ward's "
        "network."
    ),
    Rule.LOCKOUT: gettext_lazy(
        "The account was locked out after repeated failed logins. Confirm with its holder that "
        "it was them; if not, the password may be under attack."
    ),
}

#: The figures' names, in the reader's language.
FIGURE_LABELS = {
    "events": gettext_lazy("events"),
    "children": gettext_lazy("children"),
    "peers": gettext_lazy("peer accounts"),
    "peer_median": gettext_lazy("median of the peers"),
    "exports": gettext_lazy("exports and downloads"),
    "rows": gettext_lazy("rows"),
    "denials": gettext_lazy("denials"),
    "lockouts": gettext_lazy("lockouts"),
}

#: The note's longest length (a paragraph: the explanation or why it was escalated).
NOTE_MAX = 2000


class DispositionRefused(ValidationError):
    """The disposition cannot be made; the message says why, in the user's words."""


def explain(rule: str) -> str:
    return EXPLANATIONS[Rule(rule)] % {
        "opens": rules.OFFICE_OPENS.strftime("%H:%M"),
        "closes": rules.OFFICE_CLOSES.strftime("%H:%M"),
        "floor": rules.VOLUME_MIN_CHILDREN,
        "factor": rules.VOLUME_PEER_FACTOR,
        "days": RELATIONSHIP_DAYS,
        "exports": rules.BULK_EXPORTS_PER_DAY,
        "rows": rules.BULK_EXPORT_ROWS_PER_DAY,
        "denials": rules.DENIALS_PER_HOUR,
    }


@dataclasses.dataclass
class Row:
    """One anomaly as the ward sees it: who (a staff email or an address), figures by name."""

    anomaly: Anomaly
    account: str
    disposed_by: str

    @property
    def explanation(self) -> str:
        return explain(self.anomaly.rule)

    @property
    def role(self) -> str:
        role = self.anomaly.actor_role
        return Role(role).label if role in Role.values else role

    @property
    def whole_day(self) -> bool:
        return (self.anomaly.window_end - self.anomaly.window_start).total_seconds() > 3600

    @property
    def figures(self) -> list[tuple[str, object]]:
        return _figures(self.anomaly.figures)

    @property
    def disposed_figures(self) -> list[tuple[str, object]]:
        return _figures(self.anomaly.disposed_figures or {})


def _figures(figures: dict) -> list[tuple[str, object]]:
    return [(FIGURE_LABELS.get(name, name), value) for name, value in figures.items()]


def _rows(anomalies: list[Anomaly]) -> list[Row]:
    ids = {a.actor_id for a in anomalies if a.actor_id} | {
        a.disposed_by_id for a in anomalies if a.disposed_by_id
    }
    emails = dict(User.objects.filter(pk__in=ids).values_list("pk", "email"))

    def who(user_id):
        return emails.get(user_id, f"#{user_id}") if user_id else ""

    return [Row(a, who(a.actor_id), who(a.disposed_by_id)) for a in anomalies]


def guard(user) -> None:
    """404 for anyone who may not see any ward's anomalies."""
    require(user, Can.ANOMALY_VIEW, Anomaly)


def listing(user, *, show_all: bool = False):
    """The ward's anomalies, open ones only unless ``show_all``, newest window first: a
    queryset for the page to paginate, narrowed by the authorization layer."""
    guard(user)
    found = filter_allowed(user, Can.ANOMALY_VIEW, Anomaly.objects.all())
    if not show_all:
        found = found.filter(disposition=Disposition.OPEN)
    return found


def shown(anomalies) -> list[Row]:
    """The page's anomalies as rows, recorded as listed (they name staff accounts)."""
    anomalies = list(anomalies)
    record_many(Action.LIST, anomalies, ["subject", "actor_id", "actor_role", "note"])
    return _rows(anomalies)


def anomaly(user, anomaly_id: int) -> Row:
    """One anomaly of the user's ward (404 otherwise), recorded as read."""
    found = get_or_404(user, Can.ANOMALY_VIEW, Anomaly.objects.all(), pk=anomaly_id)
    record(Action.READ, found, ["subject", "actor_id", "actor_role", "note"])
    return _rows([found])[0]


def may_dispose(user, row: Row) -> bool:
    return row.anomaly.is_open and row.anomaly.actor_id != user.pk


def dispose(user, anomaly_id: int, disposition: str, note: str) -> Anomaly:
    """Explain or escalate an open anomaly, once, with a note; audited."""
    note = (note or "").strip()
    if disposition not in (Disposition.EXPLAINED, Disposition.ESCALATED):
        raise DispositionRefused(_("Choose whether the anomaly is explained or escalated."))
    if not note:
        raise DispositionRefused(_("Write a note: what explains it, or why it is escalated."))
    if len(note) > NOTE_MAX:
        raise DispositionRefused(
            _("The note is too long (%(max)s characters at most).") % {"max": NOTE_MAX}
        )
    with transaction.atomic():
        found = get_or_404(
            user, Can.ANOMALY_DISPOSE, Anomaly.objects.select_for_update(), pk=anomaly_id
        )
        if not found.is_open:
            raise DispositionRefused(
                _(
                    "This anomaly was already disposed of (%(disposition)s, %(when)s). A "
                    "disposition is final; write to the auditor if it must be looked at again."
                )
                % {
                    "disposition": found.get_disposition_display(),
                    "when": dates.datetime_text(found.disposed_at),
                }
            )
        if found.actor_id is not None and found.actor_id == user.pk:
            raise DispositionRefused(
                _(
                    "This anomaly is about your own account: another administrator or the "
                    "auditor disposes of it."
                )
            )
        found.disposition = disposition
        found.note = note
        found.disposed_by = user
        found.disposed_at = clock.now()
        found.disposed_figures = found.figures
        found.save(
            update_fields=["disposition", "note", "disposed_by", "disposed_at", "disposed_figures"]
        )
        record(Action.ANOMALY_DISPOSED, found, ["disposition", "note", "disposed_by"])
    return found
