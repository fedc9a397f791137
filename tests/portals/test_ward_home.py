"""The ward's home page: figures for every ward role, a paged list of children for case workers
(only the page's children are read and recorded), none for the auditor."""

import pytest
from django.urls import reverse

from tests import factories as f
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor
from tsuen.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _staff(ward, role):
    user = f.user(role, municipality=ward)
    f.second_factor(user)
    return user


def test_case_workers_page_through_the_wards_children(client, django_capture_on_commit_callbacks):
    ward = f.municipality()
    for n in range(51):
        f.family(ward, family_name_kana="ミホン", given_name_kana=f"コ{n:02d}")
    login_with_second_factor(client, _staff(ward, Role.MUNICIPAL_REVIEWER))
    with django_capture_on_commit_callbacks(execute=True):
        first = client.get(reverse("portals:municipality")).content.decode()
    assert first.count('href="/profile/children/') == 50 and 'rel="next"' in first
    assert AuditEvent.objects.filter(object_type="families.child", action="list").count() == 50
    second = client.get(reverse("portals:municipality"), {"page": 2}).content.decode()
    assert second.count('href="/profile/children/') == 1


def test_the_auditor_sees_figures_and_no_child(client, django_capture_on_commit_callbacks):
    ward = f.municipality()
    f.family(ward, given_name="秘子")
    login_with_second_factor(client, _staff(ward, Role.AUDITOR))
    with django_capture_on_commit_callbacks(execute=True):
        body = client.get(reverse("portals:municipality")).content.decode()
    assert "秘子" not in body and 'href="/profile/children/' not in body
    assert not AuditEvent.objects.filter(object_type="families.child").exists()
