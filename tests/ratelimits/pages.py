"""What a refusal over a rate limit must look like, for every route."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext


def assert_too_many(response, *, wait_at_most: int, language: str = "ja") -> int:
    """429, a Retry-After within the limit's window, and the page in the user's language.
    Returns the announced wait in seconds."""
    assert response.status_code == 429, response.status_code
    wait = int(response["Retry-After"])
    assert 1 <= wait <= wait_at_most, wait
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    with translation.override(language):
        assert gettext("Please wait a little") in page
        assert gettext("Nothing was saved from this request.") in page
    return wait
