"""The family's start page shows each child with its certification and next visits."""

import datetime as dt

import pytest
from django.urls import reverse

from tests import factories as f
from tsuen.accounts.models import Role
from tsuen.core import clock

pytestmark = pytest.mark.django_db


def test_start_page_shows_children_certificates_and_next_visits(
    client, django_assert_max_num_queries
):
    muni = f.municipality()
    account, _, child = f.family(muni, given_name="一花", given_name_kana="イチカ")
    f.certification(child, f.user(Role.MUNICIPAL_REVIEWER, municipality=muni), number="T-777")
    slot = f.place_slot(f.facility(muni, name="ひだまり保育園"), clock.today() + dt.timedelta(3))
    f.booking(child, slot, account)
    client.force_login(account)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("portals:guardian")).text
    assert "一花" in page and "T-777" in page and "ひだまり保育園" in page


def test_a_new_family_is_invited_to_apply(client):
    client.force_login(f.user())
    page = client.get(reverse("portals:guardian")).text
    assert reverse("certification:start") in page
