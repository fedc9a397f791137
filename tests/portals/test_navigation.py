"""Issue 10: the family's navigation marks the page being shown (``aria-current="page"``, the
staff desks' ``desknav`` tag), and a detail page has one way back to its list, not two."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests import factories as f
from tests.matrix.world import build_world
from tsuen.accounts.testing import login_with_second_factor

pytestmark = pytest.mark.django_db

#: The family's navigation, in its order.
FAMILY_PAGES = [
    "portals:guardian",
    "facilities:search",
    "booking:list",
    "booking:regular_list",
    "booking:waitlist",
    "booking:hours",
    "attendance:visits",
    "certification:list",
    "families:index",
]


def _navigation(page: str) -> str:
    return re.search(r'<nav class="sections".*?</nav>', page, re.S).group(0)


@pytest.mark.parametrize("name", FAMILY_PAGES)
def test_the_family_navigation_marks_the_page_shown(client, name):
    guardian, _household, _child = f.family(f.municipality())
    login_with_second_factor(client, guardian)
    response = client.get(reverse(name))
    assert response.status_code == 200
    nav = _navigation(response.content.decode())
    for other in FAMILY_PAGES:  # every item is there, and only the page shown is marked
        assert f'href="{reverse(other)}"' in nav
    assert re.findall(r'<a href="([^"]+)" aria-current="page">', nav) == [reverse(name)]


def test_a_page_outside_the_navigation_marks_nothing(client):
    guardian, _household, child = f.family(f.municipality())
    login_with_second_factor(client, guardian)
    page = client.get(reverse("facilities:search") + "?area=x").content.decode()
    assert 'aria-current="page"' in _navigation(page)  # the search, with filters
    page = client.get(reverse("families:child", args=[child.pk])).content.decode()
    assert 'aria-current="page"' not in _navigation(page)


def test_a_detail_page_has_one_way_back_to_its_list(client):
    world = build_world()
    users = world["users"]
    pages = [
        ("municipal_payments", "billing:ward_claim", world["ward_claim"].pk, "billing:ward_claims"),
        ("facility_manager", "billing:claim", world["claim"].pk, "billing:claims"),
        (
            "facility_staff",
            "facilities:staff_interview_decide",
            world["requested_interview"].pk,
            "facilities:staff_interviews",
        ),
    ]
    for actor, name, pk, back in pages:
        client.logout()
        login_with_second_factor(client, users[actor])
        response = client.get(reverse(name, args=[pk]))
        assert response.status_code == 200
        main = response.content.decode().split('<main id="main">', 1)[1]
        assert main.count(f'href="{reverse(back)}"') == 1, f"{name}: not one way back"


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_kept_navigation_is_what_the_user_would_get_rendered_afresh(rf, language):
    """The sections navigation is rendered once per role, ward, language and page and kept
    (desknav.sections): it must be exactly what the template makes for the real user."""
    from django.template.loader import render_to_string
    from django.urls import resolve
    from django.utils import translation

    from tsuen.accounts.models import Role
    from tsuen.portals.templatetags.desknav import _sections, sections

    ward, other = f.municipality(), f.municipality()
    facility = f.facility(ward)
    _sections.cache_clear()
    for role in Role:
        for municipality in (ward, other):
            if role in (Role.GUARDIAN, Role.PROXY, Role.NATIONAL_OPERATOR):
                user = f.user(role)
            elif role in (Role.FACILITY_STAFF, Role.FACILITY_MANAGER):
                user = f.user(role, facility=facility)
            else:
                user = f.user(role, municipality=municipality)
            for page in ("portals:home", "booking:list", "reports:dashboard"):
                request = rf.get(reverse(page))
                request.user, request.resolver_match = user, resolve(reverse(page))
                context = {"user": user, "request": request}
                with translation.override(language):
                    fresh = render_to_string("nav/sections.html", context)
                    kept = sections(context)
                    again = sections(context)
                assert kept == fresh == again, (role, page)
    assert _sections.cache_info().hits > 0
