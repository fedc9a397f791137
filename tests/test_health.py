"""``/healthz``: 200 while the database and the shared cache answer, 503 naming what does not."""

from __future__ import annotations

import copy

import pytest

pytestmark = pytest.mark.django_db


def test_healthy_answers_ok_and_is_never_cached(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-store" in response["Cache-Control"]
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


def test_a_cache_that_does_not_answer_gives_503(client, settings):
    # The same answer for the database cache of the embedded install: the table is missing.
    broken = copy.deepcopy(settings.CACHES)
    if broken["default"]["BACKEND"].endswith("RedisCache"):
        broken["default"]["LOCATION"] = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    else:
        broken["default"]["LOCATION"] = "tsuen_no_such_cache_table"
    settings.CACHES = broken
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.content == b"unavailable: cache\n"
