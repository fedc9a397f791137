"""docs/api.md shows a facility system's day with curl; this test runs exactly those calls,
parsed from the document, over real HTTP against the live test server (urllib)."""

from __future__ import annotations

import datetime as dt
import json
import re
import shlex
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.utils import timezone

from tests.api.conftest import VISIT_DAY, Scene, make_client
from tsuen.attendance.models import Attendance, DailyRecord, RecordStatus
from tsuen.core import clock, tenancy
from tsuen.families.models import Child

pytestmark = pytest.mark.django_db(transaction=True)
DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def curl_lines(section: str) -> list[str]:
    """The curl commands of the ``sh`` code blocks under the heading ``## <section>``."""
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"## {section}\n")
    end = text.find("\n## ", start + 1)
    body = text[start : end if end != -1 else None]
    blocks = re.findall(r"```sh\n(.*?)```", body, flags=re.S)
    return [line for block in blocks for line in block.splitlines() if line.startswith("curl ")]


def run_curl(line: str, env: dict[str, str]) -> tuple[int, dict, bytes]:
    """One curl command line: -s, -i, -X, -H, -d and the URL; ``$NAME`` from ``env``."""
    words = shlex.split(line)
    assert words[0] == "curl"

    def expand(word: str) -> str:
        return re.sub(r"\$([A-Z_]+)", lambda m: env[m.group(1)], word)

    method, headers, data, url = None, {}, None, None
    words = iter(words[1:])
    for word in words:
        if word in ("-s", "-i"):
            continue
        if word == "-X":
            method = next(words)
        elif word == "-H":
            name, _, value = expand(next(words)).partition(":")
            headers[name.strip()] = value.strip()
        elif word == "-d":
            data = expand(next(words)).encode()
        elif word.startswith("-"):
            raise AssertionError(f"curl option the test does not know: {word}")
        else:
            url = expand(word)
    assert url.startswith("http://"), url  # the live test server
    request = urllib.request.Request(url, data=data, headers=headers, method=method or "GET")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_a_facility_systems_day_exactly_as_documented(live_server):
    with tenancy.cross_tenant("test set-up"):
        scene = Scene()
        child = Child.objects.get(pk=scene.child.pk)
        child.allergies = ["卵"]
        child.save()
        _, token = make_client(
            scene.manager,
            ["facility.bookings.read", "facility.attendance.write", "facility.records.write"],
        )
    lines = curl_lines("A facility system's day")
    assert len(lines) == 4
    env = {"TSUEN": live_server.url, "TOKEN": token}
    at = dt.datetime.combine(VISIT_DAY, dt.time(9, 55), tzinfo=timezone.get_current_timezone())
    with clock.frozen(at, all_threads=True):
        answers = []
        for line in lines:
            status, headers, body = run_curl(line, env)
            assert status == 200, (line, status, body.decode())
            answers.append(json.loads(body))
            if "ETag" in headers:
                env["ETAG"] = headers["ETag"]
            if "BOOKING" not in env:
                env["BOOKING"] = str(answers[0]["items"][0]["id"])
    day = answers[0]
    assert day["items"][0]["child"]["care"]["allergies"] == ["卵"]
    assert answers[1]["state"] == "present"
    assert answers[3]["status"] == "published"
    with tenancy.cross_tenant("test"):
        assert Attendance.objects.get(booking=scene.booking).checked_in_at == at
        assert DailyRecord.objects.get(booking=scene.booking).status == RecordStatus.PUBLISHED
