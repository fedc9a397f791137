"""The review desk's application page links each certified child to its fee-class and end
pages (issue 5, item 5)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.certification.test_staff_desk import desk, submitted
from tsuen.certification import services

pytestmark = pytest.mark.django_db


def test_a_certified_child_links_to_its_fee_class_and_end_pages(client, ward, reviewer):
    application = submitted(ward)
    url = reverse("certification:staff_application", args=[application.pk])
    page = desk(client, reviewer).get(url).content.decode()
    assert "/fee-class/" not in page and "/end/" not in page  # nothing certified yet
    [certification] = _certify(reviewer, application.pk)
    page = client.get(url).content.decode()
    for name in ("certification:staff_fee_class", "certification:staff_end"):
        assert f'href="{reverse(name, args=[certification.child_id])}"' in page


def _certify(staff, application_id, numbers=None):
    """Certify as the desk does: confirming the effects shown."""
    token = services.decision_effects(staff, application_id, "certify").token
    return services.certify(staff, application_id, numbers, confirm_token=token)


def _reject(staff, application_id, reason):
    """Reject as the desk does: confirming the effects shown."""
    token = services.decision_effects(staff, application_id, "reject").token
    return services.reject(staff, application_id, reason, confirm_token=token)
