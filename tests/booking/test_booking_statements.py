"""The SQL statements of the guardian's booking confirm POST, pinned exactly (issue #11, "fewer
round trips"): the rules are evaluated once, inside the lock, from one statement of facts (the
visits counting towards the caps among them); nothing is read twice.

With a webhook endpoint registered for the facility (issue #13), one statement more: the
outbox row of the ``booking.created`` event, in the booking's transaction. Without one, none:
whether to write it is read from the facility row the request already loads
(``Facility.webhooks_enabled``), never looked up.

Counted: every statement the request sends, and the work it leaves for the commit (the email
to the guardian), apart from the audit trail's own statements (its appends, and its owner
lookups: tsuen.audit is changed separately and pinned by its own tests). In a test the outer
transaction's BEGIN and COMMIT (or ROLLBACK) show as SAVEPOINT and RELEASE (or ROLLBACK TO
SAVEPOINT): they are counted, as in production.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.booking.scene import NOW, scene
from tsuen.booking.models import Booking
from tsuen.core import clock

#: PostgreSQL: the production database (on SQLite the rate limits live in the database cache,
#: whose statements would count, and no FOR UPDATE is sent).
pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db]

#: A successful booking of one child (the session is read from Redis, not SQL):
#:  1. the signed-in user, and whether an emergency switch is on (incident: read with the
#:     account; the switches themselves only when one is on or a revocation is new)
#:  2. the place slot with its facility             (authz: FACILITY_VIEW; the facility's
#:                                                   webhooks_enabled flag comes with it)
#:  3. the household's children with the household  (authz: BOOKING_CREATE; the form's choices)
#:     and, with each, its ward's policy row on the day (a subquery: the form's time grid and
#:     the rules, read once)
#:  4. BEGIN
#:  5. lock the place slot and the child           (one SELECT ... FOR UPDATE: the slot's row,
#:                                                   then the child's)
#:  6. the facts, after the locks: closure, holiday opening, certification, interview,
#:     an overlapping booking, capacity, confirmed bookings, places held for offers, and the
#:     child's visits counting towards the caps in the fiscal year (every cap period at once,
#:     as one JSON list)
#:  7. INSERT the booking
#:  8. INSERT the confirmation email's task (the queue is a table of this database: in the
#:     booking's transaction; the worker looks up the guardian's ward when it renders the
#:     email: the request renders nothing)
#:  9. COMMIT (the only one)
#: and, in the audit trail, one event: the booking created (10 with it; the issue's limit: 15).
BOOKED = 9

#: With a webhook endpoint of the facility (its flag on): statements 1-8 as above, then
#:  9. INSERT the booking.created event into the webhook outbox (same transaction)
#: 10. COMMIT
#: (the relay, a separate process, delivers it after the commit: nothing more in the request).
BOOKED_WITH_WEBHOOK = 10

#: The slot is full: statements 1-6 as above, then
#:  7. COMMIT (nothing was written: a commit, not a ROLLBACK, keeps the connection's prepared
#:     statements, which psycopg forgets at a rollback; in a test RELEASE SAVEPOINT)
#: and, in the audit trail, the children the page names: inserted before that COMMIT, in the
#: refusal's transaction (no commit of its own). The slot's places left, shown on the
#: page again, are those the facts counted under the lock (not counted again); the date style
#: of the guardian's ward for the page's dates came with the account (statement 1).
REFUSED = 7


#: The audit trail's lookup of a row's owning municipality (tsuen.audit._owning_municipalities).
_OWNER_LOOKUP = re.compile(r'^SELECT "\w+"\."id" AS "pk", "\w+"\."municipality_id" AS "\w+"')


def _is_audit(sql: str) -> bool:
    return '"audit_' in sql or bool(_OWNER_LOOKUP.match(sql))


def _statements(client, url, data) -> tuple[object, list[str]]:
    """The POST's statements and those of its on-commit work, the audit trail's aside."""
    with (
        CaptureQueriesContext(connection) as request,
        TestCase.captureOnCommitCallbacks() as callbacks,
    ):
        response = client.post(url, data)
    sql = [q["sql"] for q in request.captured_queries]
    for callback in callbacks:
        func = getattr(callback, "func", callback)
        if func.__module__.startswith("tsuen.audit"):
            continue
        with CaptureQueriesContext(connection) as later:
            callback()
        sql += [q["sql"] for q in later.captured_queries]
    return response, [s for s in sql if not _is_audit(s)]


def _listing(sql: list[str]) -> str:
    return "\n".join(f"{i:3d}. {s[:160]}" for i, s in enumerate(sql, 1))


@pytest.fixture
def s(client):
    with clock.frozen(NOW):
        s = scene()
        client.force_login(s.user)
        client.get(reverse("booking:book") + f"?slot={s.slot.pk}")  # warm up
        yield s


def _form(s):
    return {
        "slot": s.slot.pk,
        "children": [s.child.pk],
        "start": "10:00",
        "end": "11:30",
        "step": "confirm",
    }


def test_a_booking_runs_a_fixed_number_of_statements(client, s):
    response, sql = _statements(client, reverse("booking:book"), _form(s))
    assert response.status_code == 302
    assert Booking.unscoped.filter(child=s.child).count() == 1
    assert len(sql) == BOOKED, _listing(sql)
    [lock] = [q for q in sql if "FOR UPDATE" in q]  # the slot, then the child, in one
    assert re.search(r'FROM "facilities_placeslot" AS s, "families_child" AS c', lock)
    assert sql.index(lock) < sql.index(next(q for q in sql if q.startswith("INSERT")))
    assert sql[-1].startswith("RELEASE SAVEPOINT")  # the COMMIT (in a test): after the task
    assert sum(q.startswith("INSERT") for q in sql) == 2  # the booking, the email's task
    # Nothing is read twice: one read of the children, with their ward's policy; one of the
    # slot.
    [children] = [q for q in sql if q.startswith('SELECT "families_child"."id", ')]
    assert sum('FROM "municipalities_municipalpolicy"' in q for q in sql) == 1
    assert 'FROM "municipalities_municipalpolicy"' in children
    assert sum(q.startswith('SELECT "facilities_placeslot"."id", ') for q in sql) == 1
    # Of the children, what booking needs: no health or welfare field is read (or decrypted).
    for column in ("allergies", "illnesses", "medical_care", "development_notes", "support_needed"):
        assert column not in children
    # No switch is on: the switches are read with the account, not on their own.
    assert sum('FROM "incident_emergencyswitch"' in q for q in sql) == 1
    assert 'FROM "incident_emergencyswitch"' in sql[0] and "accounts_user" in sql[0]


def test_a_booking_with_a_webhook_endpoint_runs_one_statement_more(client, s):
    """The outbox row of booking.created, in the booking's transaction, and nothing else."""
    from tsuen.core import tenancy
    from tsuen.webhooks.models import Endpoint, Event
    from tsuen.webhooks.services import sync_flags

    with tenancy.cross_tenant("test: register an endpoint"):
        Endpoint.unscoped.create(
            municipality_id=s.facility.municipality_id,
            facility=s.facility,
            url="https://receiver.example.jp/hook",
            events=["booking.created"],
            signing_secret="whsec_test",
            created_at=NOW,
        )
        sync_flags(s.facility.municipality_id)
    response, sql = _statements(client, reverse("booking:book"), _form(s))
    assert response.status_code == 302
    assert len(sql) == BOOKED_WITH_WEBHOOK, _listing(sql)
    assert sum('INSERT INTO "webhooks_event"' in q for q in sql) == 1
    booking = Booking.unscoped.get(child=s.child)
    [event] = Event.unscoped.all()
    assert event.type == "booking.created" and event.data["booking_id"] == booking.pk


def test_a_booking_with_history_runs_as_many(client, s):
    """The statements do not grow with the child's visits counting towards the caps."""
    import datetime as dt

    from tests import factories as f

    for i in range(6):
        day = dt.date(2026, 11, 2) + dt.timedelta(days=i)
        f.booking(s.child, f.place_slot(s.facility, day, age_class=s.slot.age_class), s.user)
    response, sql = _statements(client, reverse("booking:book"), _form(s))
    assert response.status_code == 302
    assert len(sql) == BOOKED, _listing(sql)


def test_a_refusal_for_a_full_slot_runs_a_fixed_number_of_statements(client, s):
    s.fill()
    response, sql = _statements(client, reverse("booking:book"), _form(s))
    assert response.status_code == 400
    assert not Booking.unscoped.filter(child=s.child).exists()
    assert len(sql) == REFUSED, _listing(sql)
    # The page says the slot is full, from the refusal's own count, and offers the waitlist.
    page = response.content.decode()
    assert reverse("booking:waitlist_join", args=[s.slot.pk]) in page


def test_a_refusal_records_the_children_its_page_names_in_its_own_transaction(client, s):
    s.fill()
    with CaptureQueriesContext(connection) as log:
        assert client.post(reverse("booking:book"), _form(s)).status_code == 400
    sql = [q["sql"] for q in log.captured_queries]
    [record] = [i for i, q in enumerate(sql) if q.startswith('INSERT INTO "audit_auditevent"')]
    lock = next(i for i, q in enumerate(sql) if "FOR UPDATE" in q)
    assert lock < record < len(sql) - 1, _listing(sql)
    assert sql[-1].startswith("RELEASE SAVEPOINT"), _listing(sql)  # the one COMMIT, after it


def test_a_refusal_keeps_the_connections_prepared_statements(client, s):
    """A refused booking ends its transaction without a ROLLBACK (nothing was written): psycopg
    forgets every prepared statement of the connection at a ROLLBACK, and nearly half the
    confirms of a rush are refused. The statements prepared before it are used after it."""

    def prepared() -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM pg_prepared_statements")
            return {name for (name,) in cursor.fetchall()}

    client.post(reverse("booking:book"), _form(s))  # booked: every statement prepared
    before = prepared()
    assert len(before) >= 5
    s.fill()
    other = s.another_family()
    client.force_login(other.user)
    form = _form(s) | {"children": [other.child.pk]}
    with CaptureQueriesContext(connection) as log:
        refused = client.post(reverse("booking:book"), form)
    assert refused.status_code == 400
    assert not any(q["sql"].startswith("ROLLBACK") for q in log.captured_queries)
    assert not Booking.unscoped.filter(child=other.child).exists()
    client.post(reverse("booking:book"), form)  # another request after the refusal
    assert prepared() == before  # none forgotten and prepared again under a new name
