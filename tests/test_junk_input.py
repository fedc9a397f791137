"""Junk input never answers 500 (issue 9 item 11).

For every route of the authorization matrix, as an actor the row lets in, the test reads the
page's own forms (their field names and default values, as a browser would) and sends them back
with junk: every field junk at once, and each field junk in turn with the others at their
defaults; GET forms (filters, searches) get the same in the query string; routes with an id in
the path are also asked for an id far beyond any integer column. Whatever the view answers (400
with a message, 404, a redirect), it must not be a server error.
"""

from __future__ import annotations

import itertools
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from tests.matrix.base import ACTORS
from tests.matrix.world import build_world
from tests.test_authz_matrix import matrix
from tsuen.accounts.testing import login_with_second_factor

pytestmark = pytest.mark.django_db

#: Every field at once gets each of these; each field alone gets one of the first three.
JUNK = (
    "x",
    "9" * 25,
    "\x00",
    "",
    "-1",
    "2026-13-45",
    "1e400",
    "<b>" + "長" * 3000,
)
#: Fields junked one at a time per form, spread over it (the policy editor has ~100).
FIELDS_ALONE = 12
#: Ids in paths: beyond a 64-bit integer column.
HUGE_ID = 10**20
#: Statuses a refused or accepted request may answer with; anything >= 500 is a failure.
ALLOWED_IN = (200, 400)


class Forms(HTMLParser):
    """The forms of a page: method, action and their fields with default values."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {
                "method": (a.get("method") or "get").lower(),
                "action": a.get("action") or "",
                "fields": {},
            }
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag in ("input", "textarea", "button") and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                self._form["fields"].setdefault(a["name"], "")
            elif kind != "file":
                self._form["fields"][a["name"]] = a.get("value") or ""
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            self._form["fields"].setdefault(a["name"], "")
        elif tag == "option" and self._select and (a.get("value") or "") != "":
            fields = self._form["fields"]
            if not fields.get(self._select) or "selected" in a:
                fields[self._select] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def forms_on(body: str) -> list[dict]:
    parser = Forms()
    parser.feed(body)
    return parser.forms


def variants(fields: dict[str, str]):
    """Junk for every field at once, then for each field in turn (the others at their
    defaults, so that the junk reaches past the first validation)."""
    names = [n for n in fields if n != "csrfmiddlewaretoken"]
    for junk in JUNK:
        yield dict.fromkeys(names, junk)
    step = max(1, len(names) // FIELDS_ALONE)
    for name, junk in zip(names[::step], itertools.cycle(JUNK[:3]), strict=False):
        yield {**{n: fields[n] for n in names}, name: junk}


def actor_for(row) -> str | None:
    """An actor the row lets in (so the view parses the input instead of answering 404)."""
    for actor in ACTORS:
        if actor != "anonymous" and row.expect(actor) in ALLOWED_IN:
            return actor
    return "anonymous" if row.expect("anonymous") in ALLOWED_IN else None


def test_junk_never_answers_a_server_error(client):
    world = build_world()
    by_actor: dict[str, list] = {}
    for key, row in matrix().items():
        actor = actor_for(row)
        if actor is not None:
            by_actor.setdefault(actor, []).append((key, row))
    assert len(by_actor) > 5  # the matrix reaches most actors: the walk is not empty

    failures: list[str] = []
    seen: set[tuple] = set()
    sent = 0

    def send(method: str, url: str, data: dict | None, label: str) -> None:
        nonlocal sent
        sent += 1
        try:
            response = getattr(client, method)(url, data or {})
        except Exception as exc:  # the test client re-raises what a view raised
            failures.append(f"{label} {method.upper()} {url} {data!r:.120}: {exc!r:.200}")
            return
        if response.status_code >= 500:
            failures.append(f"{label} {method.upper()} {url} {data!r:.120}: {response.status_code}")

    for actor, rows in by_actor.items():
        client.logout()
        if actor != "anonymous":
            login_with_second_factor(client, world["users"][actor])
        for key, row in rows:
            name = key.split("@")[0]
            args = row.args(world) if row.args else None
            url = reverse(name, args=args)
            for arg in args or ():
                if isinstance(arg, int):  # the id in the path, far beyond any key
                    huge = url.replace(f"/{arg}/", f"/{HUGE_ID}/", 1)
                    for method in ("get", "post"):
                        send(method, huge, None, key)
            try:
                page = client.get(url)
            except Exception as exc:
                failures.append(f"{key} GET {url}: {exc!r:.200}")
                continue
            body = "" if page.streaming else page.content.decode(errors="replace")
            if row.data:  # the row's own request, junked
                for data in variants(row.data(world)):
                    send(row.method, url, data, key)
            send("post", url, {}, key)
            for form in forms_on(body):
                target = urlsplit(form["action"]).path or url
                if not target.startswith("/") or target.startswith("/accounts/"):
                    continue  # allauth's own forms are pinned in tests/accounts
                shape = (actor, form["method"], target, frozenset(form["fields"]))
                if shape in seen:
                    continue  # the same form on another page (e.g. the editor and its preview)
                seen.add(shape)
                for data in variants(form["fields"]):
                    send(form["method"] if form["method"] == "post" else "get", target, data, key)
    assert sent > 400
    assert not failures, f"{len(failures)} server errors:\n" + "\n".join(failures[:40])


def test_the_inputs_the_review_found_answer_400(client):
    """The three requests that answered 500 when the council's tester tried them."""
    world = build_world()
    login_with_second_factor(client, world["users"]["municipal_admin"])
    assert client.get(reverse("audit:log"), {"child": "9" * 25}).status_code == 400
    login_with_second_factor(client, world["users"]["facility_manager"])
    team = client.post(reverse("facilities:staff_team"), {"user": "x", "active": "0"})
    assert team.status_code == 400
    photo = client.post(
        reverse("facilities:staff_profile"), {"action": "delete_photo", "photo": "x"}
    )
    assert photo.status_code == 400
