"""The issue's demand: a test proves that no personal data reaches the national operator.

Logged in as the national operator, the test fetches every page of the national screens (with
their filters) and every route of the URL configuration that the authorization matrix's world
fills (the rows of tests/matrix, with their arguments, methods and data), and asserts that no
child's name, reading or birth date, no guardian's name, email, phone or address, no account's
email and no certificate number of the world appears in any response, and that the operator's
audit events record no read (or any event) about a child or a guardian.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.matrix.world import build_world
from tests.test_authz_matrix import matrix
from tsuen.accounts.models import User
from tsuen.accounts.testing import login_with_second_factor
from tsuen.audit.models import AuditEvent
from tsuen.certification.models import Certification
from tsuen.core.wareki import wareki
from tsuen.families.models import Child, Guardian, Household

pytestmark = pytest.mark.django_db

NATIONAL_PAGES = [
    (reverse("portals:national"), {}),
    (reverse("national:municipalities"), {}),
    (reverse("national:municipalities"), {"prefecture": "東京都", "name": "区"}),
    (reverse("national:rate_tables"), {}),
    (reverse("national:statistics"), {}),
    (reverse("national:statistics"), {"prefecture": "東京都"}),
]


def _dates(day):
    return [day.isoformat(), day.strftime("%Y/%m/%d"), f"{day.year}年{day.month}月{day.day}日",
            wareki(day)]  # fmt: skip


def personal_strings(operator) -> dict[str, str]:
    """Every personal value of the world, with what it is."""
    found: dict[str, str] = {}
    for child in Child.objects.all():
        found[child.given_name] = "child's name"
        found[f"{child.family_name} {child.given_name}"] = "child's name"
        found[f"{child.family_name}{child.given_name}"] = "child's name"
        found[child.given_name_kana] = "child's reading"
        found[f"{child.family_name_kana} {child.given_name_kana}"] = "child's reading"
        for text in _dates(child.birth_date):
            found[text] = "child's birth date"
    for guardian in Guardian.objects.all():
        found[guardian.full_name] = "guardian's name"
        found[f"{guardian.family_name}{guardian.given_name}"] = "guardian's name"
        found[guardian.given_name] = "guardian's name"
        found[guardian.email] = "guardian's email"
        found[guardian.phone] = "guardian's phone"
    for household in Household.objects.all():
        found[household.address_line] = "address"
    for certification in Certification.objects.all():
        found[certification.number] = "certificate number"
    for account in User.objects.exclude(pk=operator.pk):
        found[account.email] = "an account's email"
    return {text: what for text, what in found.items() if len(text) >= 2}


def test_no_personal_data_reaches_the_national_operator(client, django_capture_on_commit_callbacks):
    world = build_world()
    operator = world["users"]["national_operator"]
    secrets = personal_strings(operator)
    # The world holds what we look for.
    assert "一花" in secrets and "certificate number" in secrets.values()
    login_with_second_factor(client, operator)

    pages = 0
    leaks = []
    with django_capture_on_commit_callbacks(execute=True):
        for url, query in NATIONAL_PAGES:
            response = client.get(url, query)
            assert response.status_code == 200, url
            assert "<table" in response.text, url  # a real page, with its figures
            pages += 1
            leaks += [f"{url}: {what} {text!r}" for text, what in secrets.items()
                      if text in response.text]  # fmt: skip
        for key, row in matrix().items():
            url = reverse(key.split("@")[0], args=row.args(world) if row.args else None)
            send = getattr(client, row.method)
            response = send(url, row.data(world)) if row.data else send(url)
            if response.streaming:
                body = b"".join(response.streaming_content).decode(errors="replace")
            else:
                body = response.content.decode(errors="replace")
            pages += 1
            leaks += [f"{key}: {what} {text!r}" for text, what in secrets.items() if text in body]
    assert pages > 100
    assert not leaks, "\n".join(leaks)

    events = AuditEvent.objects.filter(actor_id=operator.pk)
    assert events.exists()  # the operator's own changes are audited...
    about_people = [
        (e.action, e.object_type)
        for e in events
        if e.subject_child_ids or e.subject_guardian_ids or e.object_type.startswith("families.")
    ]
    assert not about_people  # ...and nothing about a child or a guardian
