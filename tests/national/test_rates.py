"""The national rate table of a fiscal year: checked by the rules, used by billing when set,
fixed once claims of the year are submitted."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests import factories as f
from tests.billing import scene as s
from tsuen import rules
from tsuen.audit.models import AuditEvent
from tsuen.billing import services as billing
from tsuen.billing.models import Claim, ClaimLine, ClaimStatus
from tsuen.core import clock
from tsuen.national import services
from tsuen.national.models import NationalRateTable

pytestmark = pytest.mark.django_db

EDITED = {
    "base_0": 2000, "base_1": 1600, "base_2": 1500, "disability": 700, "medical_care": 2600,
    "support_needed_family": 650, "first_visit_0": 2000, "first_visit_1": 1600,
    "first_visit_2": 1500,
}  # fmt: skip


def _url(year):
    return reverse("national:rate_table", args=[year])


def test_without_a_stored_table_the_built_in_one_is_used():
    assert services.national_rates(2026) == rules.national_rates(2026)
    with pytest.raises(rules.RuleError):
        services.national_rates(2030)


def test_the_form_starts_from_the_built_in_table_and_saving_stores_it(
    operator_client, operator, django_capture_on_commit_callbacks
):
    page = operator_client.get(_url(2026))
    assert page.status_code == 200
    assert page.context["form"].initial["base_0"] == 1700
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post(_url(2026), EDITED)
    assert response.status_code == 302
    table = NationalRateTable.objects.get(fiscal_year=2026)
    assert (table.created_by, table.updated_by) == (operator, operator)
    rates = services.national_rates(2026)
    assert rates.base_per_hour[0] == 2000
    assert rates.adder_per_hour(rules.Adder.MEDICAL_CARE) == 2600
    assert rates.first_visit == {0: 2000, 1: 1600, 2: 1500}
    [event] = AuditEvent.objects.filter(actor_id=operator.pk)
    assert (event.action, event.object_type, event.municipality_id) == (
        "create", "national.nationalratetable", None,
    )  # fmt: skip
    # A second save records only what changed.
    with django_capture_on_commit_callbacks(execute=True):
        operator_client.post(_url(2026), EDITED | {"base_2": 1550})
    event = AuditEvent.objects.filter(actor_id=operator.pk).latest("pk")
    assert (event.action, event.field_names) == ("update", ["base_2"])


def test_a_year_without_a_first_visit_adder_leaves_all_three_empty(operator_client):
    none = EDITED | {"first_visit_0": "", "first_visit_1": "", "first_visit_2": ""}
    assert operator_client.post(_url(2027), none).status_code == 302
    assert services.national_rates(2027).first_visit is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"first_visit_1": ""}, "give the first-visit adder for all three age classes"),
        ({"base_0": "-1"}, "Ensure this value is greater than or equal to 0."),
        ({"medical_care": "2.5"}, "Enter a whole number."),
        ({"base_1": ""}, "This field is required."),
    ],
)
def test_bad_tables_are_refused_with_a_message_and_nothing_is_written(
    operator_client, change, message
):
    response = operator_client.post(_url(2026), EDITED | change)
    assert response.status_code == 400
    form = response.context["form"]
    assert any(message in e for errors in form.errors.values() for e in errors)
    assert not NationalRateTable.objects.exists()
    assert not AuditEvent.objects.exists()


def test_years_outside_the_programme_are_404(operator_client):
    assert operator_client.get(_url(2024)).status_code == 404
    assert operator_client.get(_url(2101)).status_code == 404


# --- billing ------------------------------------------------------------------------------------


@pytest.fixture
def scene():
    ward = s.ward(rules.national_default_policy(2026))
    facility = f.facility(ward, fee_per_hour=300)
    manager = s.manager_of(facility)
    *_, child = f.family(ward, birth_date=dt.date(2025, 6, 1), disability=True)
    s.visit(child, facility, dt.date(2026, 11, 4), dt.time(10), dt.time(12))  # class 0, 2 h
    return manager


def _line(manager):
    with clock.frozen(s.NOW):
        [claim] = billing.generate_claims(manager, 2026, 11)
    return claim, ClaimLine.objects.get(claim=claim)


def test_a_claim_is_priced_with_the_built_in_table_without_a_stored_one(scene):
    _, line = _line(scene)
    assert (line.base_amount, line.adders) == (2 * 1700, {"disability": 2 * 600})


def test_a_claim_is_priced_with_the_edited_table_of_its_fiscal_year(scene, operator):
    services.save_rate_table(operator, 2026, EDITED)
    services.save_rate_table(operator, 2025, EDITED | {"base_0": 9999})  # another year: unused
    claim, line = _line(scene)
    assert (line.base_amount, line.adders) == (2 * 2000, {"disability": 2 * 700})
    assert line.bucket_shares[0]["base"] == 4000 and line.bucket_shares[0]["adders"] == 1400
    assert claim.total_benefit == 4000 + 1400


def test_the_table_of_a_year_with_submitted_claims_cannot_change(scene, operator, operator_client):
    claim, _ = _line(scene)
    assert operator_client.post(_url(2026), EDITED).status_code == 302  # a draft: still open
    Claim.unscoped.filter(pk=claim.pk).update(status=ClaimStatus.SUBMITTED)
    page = operator_client.get(_url(2026))
    assert page.context["year"].locked
    response = operator_client.post(_url(2026), EDITED | {"base_0": 2100})
    assert response.status_code == 400
    assert "Claims of FY2026 have been submitted" in response.context["form"].non_field_errors()[0]
    assert NationalRateTable.objects.get(fiscal_year=2026).base_0 == 2000
    # Other years stay open; the list says which are fixed.
    assert operator_client.post(_url(2027), EDITED).status_code == 302
    years = {y.fiscal_year: y.locked for y in operator_client.get(
        reverse("national:rate_tables")).context["years"]}  # fmt: skip
    assert years[2026] and not years[2027] and not years[2025]
