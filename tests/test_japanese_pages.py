"""Every page in Japanese, as each actor sees it: no ISO date in the visible text and no English
default or raw code where a Japanese reader expects words (issue 10, "Language and dates").

The pages are the authorization matrix's GET rows (every route), in the matrix's world, which
holds applications, certifications, bookings, visits and claims, so most pages show dates.
Machine formats stay ISO and are not visible text: ``<input type=date>`` values, ``datetime=``
attributes, links.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from tests.matrix.base import ACTORS
from tests.matrix.world import build_world
from tests.test_authz_matrix import matrix
from tsuen.accounts.testing import login_with_second_factor

pytestmark = pytest.mark.django_db

#: 2026-12-03, 2026-12, 2026/12/03 (a year with a month, as a reader would see it).
ISO_DATE = re.compile(r"(?<![\d])(19|20)\d\d[-/](0?[1-9]|1[0-2])([-/]\d\d?)?(?![\d])")
#: An identifier (a webhook event's uid): its groups of hex digits can read as a year and a
#: month ("…-2064-5abc-…"), so it is taken out of the text before dates are looked for.
UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)
#: Raw defaults of Django and allauth that must not reach a Japanese screen.
RAW = ("---------", "- Select an option -", "Select an option", "accessattempt")


HIDDEN = ("script", "style", "template", "textarea")


class VisibleText(HTMLParser):
    """The text a reader sees: text nodes outside <script>/<style>, and <option> labels. What a
    person typed into a <textarea> is theirs, not ours."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in HIDDEN:
            self._hidden += 1

    def handle_endtag(self, tag):
        if tag in HIDDEN:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def problems_of(text: str) -> list[str]:
    found = [m.group(0) for m in ISO_DATE.finditer(UUID.sub(" ", text))]
    found += [raw for raw in RAW if raw in text]
    return found


def test_the_checker_finds_iso_dates_and_raw_defaults():
    html = (
        '<p>予約日 2026-12-03</p><input type="date" value="2027-01-11">'
        '<time datetime="2026-12-03">令和8年12月3日</time><select><option>---------</option>'
        "</select><textarea>BCG 2024-10-01</textarea><script>var d = '2026-01-01';</script>"
    )
    assert problems_of(visible(html)) == ["2026-12-03", "---------"]
    assert problems_of("令和8年12月3日 2026年12月 12:00–14:00 SJ2026-00001 ¥1,500") == []
    # An event's uid whose groups read as 2064-5 is an identifier; a date beside it is not.
    uid = "0f1e2d3c-2064-5abc-8def-0123456789ab"
    assert problems_of(f"{uid} 受付 2026-12-03") == ["2026-12-03"]
    assert problems_of(uid) == []


@pytest.mark.parametrize("actor", [a for a in ACTORS if a != "other_ward_reviewer"])
def test_no_iso_date_or_raw_default_on_any_japanese_page(client, actor):
    world = build_world()
    if actor != "anonymous":
        login_with_second_factor(client, world["users"][actor])
    failures = []
    for key, row in matrix().items():
        if row.method != "get" or row.expect(actor) != 200:
            continue
        url = reverse(key.split("@")[0], args=row.args(world) if row.args else None)
        response = client.get(url, headers={"accept-language": "ja"})
        if response.streaming or "html" not in response.get("content-type", ""):
            continue
        found = problems_of(visible(response.content.decode()))
        if found:
            failures.append(f"{key}: {found[:5]}")
    assert not failures, f"{actor}: " + "; ".join(failures)
