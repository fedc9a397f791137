"""The staff list pages answer bad filters one way: the page again with the form's errors, status
400 and no list (no query was run); anyone out of reach still gets 404, not the errors."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories as f
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor

pytestmark = pytest.mark.django_db

# (URL name, who reads the list, a bad filter and the field it is wrong in, the list's
# context name, the results section's id)
LISTS = [
    (
        "certification:staff_queue",
        Role.MUNICIPAL_REVIEWER,
        {"submitted_from": "2026-13-45"},
        "submitted_from",
        "page_obj",
        "queue-results",
    ),
    (
        "certification:staff_children",
        Role.MUNICIPAL_REVIEWER,
        {"facility": "abc"},
        "facility",
        "page_obj",
        "children-results",
    ),
    (
        "national:municipalities",
        Role.NATIONAL_OPERATOR,
        {"prefecture": "火星"},
        "prefecture",
        "page_obj",
        "municipality-results",
    ),
    (
        "billing:ward_claims",
        Role.MUNICIPAL_PAYMENTS,
        {"month": "13"},
        "month",
        "page",
        "claims-results",
    ),
    (
        "facilities:ward_register",
        Role.MUNICIPAL_REVIEWER,
        {"suspended": "maybe"},
        "suspended",
        "page_obj",
        "register-results",
    ),
    (
        "audit:log",
        Role.AUDITOR,
        {"date_from": "2026-05-02", "date_to": "2026-05-01"},
        None,
        "result",
        "audit-results",
    ),
]


def _staff(role, **kw):
    if role not in (Role.NATIONAL_OPERATOR, Role.FACILITY_MANAGER):
        kw["municipality"] = f.municipality()
    user = f.user(role, **kw)
    f.second_factor(user)
    return user


@pytest.mark.parametrize(("name", "role", "bad", "field", "result", "section"), LISTS)
def test_bad_filters_show_the_form_errors_with_400_and_no_list(
    client, name, role, bad, field, result, section
):
    login_with_second_factor(client, _staff(role))
    url = reverse(name)
    good = client.get(url)
    assert good.status_code == 200 and good.context[result] is not None
    assert f'id="{section}"' in good.content.decode()

    response = client.get(url, bad)
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors and (field is None or field in form.errors)
    assert response.context[result] is None  # the list's query was not run
    body = response.content.decode()
    assert f'id="{section}"' not in body
    for message in form.errors.get(field or "__all__"):
        assert message in body  # the error is shown, in the user's language


@pytest.mark.parametrize(("name", "role", "bad", "field", "result", "section"), LISTS)
def test_bad_filters_from_someone_out_of_reach_answer_404(
    client, name, role, bad, field, result, section
):
    outsider = _staff(Role.FACILITY_MANAGER, facility=f.facility(f.municipality()))
    login_with_second_factor(client, outsider)
    assert client.get(reverse(name), bad).status_code == 404
