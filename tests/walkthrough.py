"""Screenshots for the desk walkthroughs in docs/walkthrough/, taken by the browser tests.

A browser test that walks a desk calls :func:`shot` at each screen the walkthrough shows; the
pictures are rewritten on every run, so the docs show the screens as the suite last saw them.
"""

from __future__ import annotations

from pathlib import Path

IMAGES = Path(__file__).resolve().parents[1] / "docs" / "walkthrough" / "img"


def shot(page, desk: str, name: str) -> Path:
    """Save the whole page as docs/walkthrough/img/<desk>-<name>.png and return the path."""
    IMAGES.mkdir(parents=True, exist_ok=True)
    path = IMAGES / f"{desk}-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
