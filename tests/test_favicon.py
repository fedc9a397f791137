"""Every page names the site's own icon (a static file, no request elsewhere)."""

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


def test_every_page_links_the_favicon_from_our_static_files(client):
    page = client.get("/").text
    [href] = re.findall(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
    assert href.startswith("/static/") and href.endswith("favicon.svg")
    svg = Path(finders.find("tsuen/favicon.svg")).read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<svg")
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")  # nothing fetched
