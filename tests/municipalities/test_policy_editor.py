"""The ward's policy editor: versions, saving a new one, refusals, and the preview."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from tests import factories as f
from tests.municipalities.policy_world import (
    TODAY,
    booked_child,
    form_data,
    staff,
    values,
    ward_with_policy,
)
from tsuen import rules
from tsuen.accounts.models import Role
from tsuen.accounts.testing import login_with_second_factor
from tsuen.audit.models import AuditEvent
from tsuen.core import clock
from tsuen.municipalities import services_policy as services
from tsuen.municipalities.models import MunicipalPolicy

pytestmark = pytest.mark.django_db

DECEMBER_DAYS = [dt.date(2026, 12, d) for d in (2, 9, 16)]


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"), clock.frozen(TODAY):
        yield


@pytest.fixture
def ward(db):
    return ward_with_policy()


@pytest.fixture
def admin(ward):
    return staff(ward)


def refused(user, v) -> list[str]:
    before = MunicipalPolicy.objects.count()
    with pytest.raises(services.PolicyInvalid) as caught:
        services.save_version(user, v)
    assert MunicipalPolicy.objects.count() == before
    return caught.value.messages


# --- saving ----------------------------------------------------------------------------------


def test_a_valid_version_is_saved_by_the_administrator_and_audited(
    ward, admin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        row = services.save_version(admin, values(free_for_residents=True))
    assert (row.created_by, row.effective_from, row.fiscal_year) == (
        admin,
        dt.date(2026, 12, 1),
        2026,
    )
    assert row.to_rules().free_for_residents
    event = AuditEvent.objects.get(object_type="municipalities.municipalpolicy")
    assert (event.action, event.object_id) == ("create", str(row.pk))
    assert "free_for_residents" in event.field_names


def test_caps_the_buckets_cannot_fund_are_refused_with_the_reason(ward, admin):
    national_only = [
        {"payer": "national", "period": "month", "limit_minutes": 600, "national": True}
    ]
    [message] = refused(admin, values(buckets=national_only))
    assert "cannot pay for all the hours the caps allow" in message


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"caps": []}, "at least one hours cap"),
        ({"caps": [{"period": "month", "limit_minutes": 300}]}, "fewer hours than the national"),
        ({"buckets": []}, "at least one funding bucket"),
        ({"excluded_enrolments": ["kindergarten"]}, "must stay excluded"),
        (
            {"excluded_enrolments": [*sorted(rules.NATIONALLY_EXCLUDED), "temporary"]},
            "never exclude a child",
        ),
        ({"billing_step_minutes": 25}, "must divide 60 minutes"),
        ({"staff_ratios": {"0": 3, "1": 6}}, "children per adult"),
        ({"min_age_months": 40}, "0 to 35 months"),
        ({"eligibility_end": "fiscal_year_end_age_3", "buckets": [
            {"payer": "national", "period": "month", "limit_minutes": 600, "national": True},
            {"payer": "ward", "period": "month", "limit_minutes": 2280, "national": False},
        ]}, "extra days"),
    ],
)  # fmt: skip
def test_each_kind_of_contradiction_is_refused_in_words(ward, admin, changes, expected):
    [message] = refused(admin, values(**changes))
    assert expected in message


def test_every_policy_error_the_rules_can_raise_has_a_message():
    policy_codes = {code for code in rules.ERROR_CODES if code.startswith("policy_")}
    assert policy_codes <= services.RULE_MESSAGES.keys()


def test_the_effective_date_must_not_be_in_the_past(ward, admin):
    assert (
        "cannot be in the past" in refused(admin, values(effective_from=dt.date(2026, 11, 25)))[0]
    )


def test_the_effective_date_must_lie_in_the_fiscal_year(ward, admin):
    [message] = refused(admin, values(fiscal_year=2026, effective_from=dt.date(2027, 4, 2)))
    assert "must lie in fiscal year 2026" in message


def test_an_effective_date_already_used_is_refused(ward, admin):
    services.save_version(admin, values())
    [message] = refused(admin, values(free_for_residents=True))
    assert "already takes effect on 2026-12-01" in message


def test_today_is_a_valid_effective_date(ward, admin):
    assert services.save_version(admin, values(effective_from=dt.date(2026, 11, 26))).pk


def test_a_reviewer_or_the_auditor_cannot_save(ward):
    from django.http import Http404

    for role in (Role.MUNICIPAL_REVIEWER, Role.AUDITOR, Role.MUNICIPAL_PAYMENTS):
        with pytest.raises(Http404):
            services.save_version(staff(ward, role), values())
    assert MunicipalPolicy.objects.count() == 1


# --- the pages --------------------------------------------------------------------------------


def desk(client, user):
    login_with_second_factor(client, user)
    client.cookies["django_language"] = "en"
    return client


def test_the_versions_page_shows_the_version_in_force_and_who_wrote_each(client, ward, admin):
    later = services.save_version(admin, values())
    page = desk(client, admin).get(reverse("municipalities:policy")).content.decode()
    assert "Fiscal year 2026" in page
    assert admin.email in page
    assert reverse("municipalities:policy_detail", args=[later.pk]) in page
    assert reverse("municipalities:policy_new") in page
    auditor_page = desk(client, staff(ward, Role.AUDITOR)).get(reverse("municipalities:policy"))
    assert reverse("municipalities:policy_new") not in auditor_page.content.decode()


def test_the_editor_is_prefilled_from_the_version_in_force(client, ward, admin):
    page = desk(client, admin).get(reverse("municipalities:policy_new")).content.decode()
    assert 'name="caps-0-hours" value="48.0"' in page
    assert '<option value="ward" selected>' in page
    assert 'name="effective_from" value="2026-11-27"' in page


def test_saving_through_the_page(client, ward, admin):
    response = desk(client, admin).post(
        reverse("municipalities:policy_new"), form_data(values(booking_window_days=14))
    )
    assert response.status_code == 302
    row = MunicipalPolicy.objects.latest("created_at")
    assert (row.booking_window_days, row.created_by) == (14, admin)
    assert "was saved" in client.get(response.url).content.decode()


def test_bucket_prices_are_saved_through_the_page(client, ward, admin):
    v = values()
    v["buckets"][1]["rates"] = {"base_per_hour": {"0": 2000, "1": 1800, "2": 1600}}
    desk(client, admin).post(reverse("municipalities:policy_new"), form_data(v))
    row = MunicipalPolicy.objects.latest("created_at")
    assert row.to_rules().buckets[1].rates.base_per_hour == {0: 2000, 1: 1800, 2: 1600}


def test_a_refused_version_re_renders_with_the_reason_and_writes_nothing(client, ward, admin):
    national_only = [
        {"payer": "national", "period": "month", "limit_minutes": 600, "national": True}
    ]
    response = desk(client, admin).post(
        reverse("municipalities:policy_new"), form_data(values(buckets=national_only))
    )
    assert response.status_code == 400
    assert "cannot pay for all the hours the caps allow" in response.content.decode()
    assert MunicipalPolicy.objects.count() == 1


def test_half_given_bucket_prices_are_refused(client, ward, admin):
    v = values()
    v["buckets"][1]["rates"] = {"base_per_hour": {"0": 2000}}
    response = desk(client, admin).post(reverse("municipalities:policy_new"), form_data(v))
    assert response.status_code == 400
    assert "for every age class" in response.content.decode()
    assert MunicipalPolicy.objects.count() == 1


# --- the preview ------------------------------------------------------------------------------


@pytest.fixture
def booked(ward, admin):
    """Two children booked in December: 12 hours (three 4-hour visits) and 2 hours."""
    facility = f.facility(ward, fee_per_hour=400)
    heavy = booked_child(ward, facility, admin, DECEMBER_DAYS, given_name="一花")
    light = booked_child(
        ward, facility, admin, DECEMBER_DAYS[:1], hours=2, fee_class="low_income", given_name="蒼"
    )
    return heavy, light


def cap(hours):
    return [{"period": "month", "limit_minutes": hours * 60}]


def national_then_ward():
    return [
        {"payer": "national", "period": "month", "limit_minutes": 600, "national": True},
        {"payer": "ward", "period": "month", "limit_minutes": None, "national": False},
    ]


def test_a_lowered_cap_shows_the_child_booked_above_it(
    ward, admin, booked, django_capture_on_commit_callbacks
):
    heavy, _light = booked
    with django_capture_on_commit_callbacks(execute=True):
        preview = services.preview(admin, values(caps=cap(10), buckets=national_then_ward()))
    assert preview.applies and preview.bookings == 4
    [(child, excess)] = preview.over_cap
    assert (child.name, excess.used, excess.limit) == (heavy.full_name, 720, 600)
    assert child.certificate == f"SJ2026-{heavy.pk:05d}"
    assert MunicipalPolicy.objects.count() == 1  # nothing saved
    read = AuditEvent.objects.filter(action="read", object_type="families.child")
    assert list(read.values_list("object_id", flat=True)) == [str(heavy.pk)]


def test_a_reduction_change_shows_the_fee_difference(ward, admin, booked):
    reductions = values()["reductions_per_hour"] | {"low_income": 300}
    preview = services.preview(admin, values(reductions_per_hour=reductions))
    # The low-income child's 2 hours at 400 yen: 420 yen off before, 600 after.
    assert (preview.fee_changes, preview.fee_difference) == (1, -180)
    assert preview.over_cap == []


def test_a_shorter_window_and_extended_eligibility_show_their_children(ward, admin, booked):
    heavy, _light = booked
    preview = services.preview(
        admin, values(booking_window_days=14, eligibility_end="fiscal_year_end_age_3")
    )
    # Open to 10 December: the visits of the 16th is beyond.
    assert [(c.name, day) for c, day in preview.outside_window] == [
        (heavy.full_name, dt.date(2026, 12, 16))
    ]
    assert len(preview.eligibility) == 2
    assert {c.new_last_day for _c, c in preview.eligibility} == {dt.date(2028, 3, 31)}


def test_the_preview_ignores_other_wards_and_cancelled_bookings(ward, admin, booked):
    other = ward_with_policy()
    other_facility = f.facility(other)
    booked_child(other, other_facility, staff(other), DECEMBER_DAYS)
    heavy, _light = booked
    heavy.bookings.update(status="cancelled")
    preview = services.preview(admin, values(caps=cap(10), buckets=national_then_ward()))
    assert preview.bookings == 1 and preview.over_cap == []


def test_a_version_from_next_year_does_not_apply_to_next_month(ward, admin, booked):
    preview = services.preview(admin, values(fiscal_year=2027, effective_from=dt.date(2027, 4, 1)))
    assert not preview.applies


def test_the_preview_page_shows_the_numbers_and_saves_nothing(client, ward, admin, booked):
    heavy, _light = booked
    data = form_data(values(caps=cap(10), buckets=national_then_ward()), action="preview")
    response = desk(client, admin).post(reverse("municipalities:policy_new"), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert f"SJ2026-{heavy.pk:05d}" in page and heavy.given_name in page
    assert MunicipalPolicy.objects.count() == 1


def test_the_preview_query_count_does_not_grow_with_the_bookings(ward, admin):
    facility = f.facility(ward)
    booked_child(ward, facility, admin, DECEMBER_DAYS)

    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            services.preview(admin, values(caps=cap(10), buckets=national_then_ward()))
        return len(ctx)

    small = count()
    for _ in range(6):
        booked_child(ward, facility, admin, DECEMBER_DAYS, fee_class="tax_exempt")
    assert count() == small
    assert small <= 15


def test_a_version_page_shows_its_settings_in_words(client, ward, admin):
    v = values()
    v["buckets"][1]["rates"] = {"base_per_hour": {"0": 2000, "1": 1800, "2": 1600}}
    row = services.save_version(admin, v)
    page = desk(client, staff(ward, Role.AUDITOR)).get(
        reverse("municipalities:policy_detail", args=[row.pk])
    )
    text = page.content.decode()
    assert "2000, 1800, 1600" in text
    assert "Authorised nursery" in text and "a calendar month" in text
    assert "Low-income households" in text


# --- coherence (issue 10): payers from a list, caps per period, sane amounts ------------------


def national_and(*rest):
    return [
        {"payer": "national", "period": "month", "limit_minutes": 600, "national": True},
        *rest,
    ]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"buckets": national_and(
                {"payer": "tokio", "period": "month", "limit_minutes": None, "national": False}
            )},
            "“tokio” is not a payer",
        ),
        (
            {"buckets": national_and(
                {"payer": "ward", "period": "month", "limit_minutes": None, "national": True}
            )},
            "Only the national payer's bucket is the national benefit",
        ),
        (
            {"caps": [
                {"period": "month", "limit_minutes": 200 * 60},
                {"period": "fiscal_year", "limit_minutes": 150 * 60},
            ]},
            "The monthly cap is above the fiscal-year cap",
        ),
        (
            {"caps": [
                {"period": "month", "limit_minutes": 48 * 60},
                {"period": "month", "limit_minutes": 20 * 60},
            ]},
            "Two hours caps count over the same period",
        ),
        (
            {"buckets": national_and(
                {"payer": "ward", "period": "month", "limit_minutes": 600, "national": False},
                {"payer": "ward", "period": "month", "limit_minutes": None, "national": False},
            )},
            "Two funding buckets have the same payer and period",
        ),
        (
            {"reductions_per_hour": {"public_assistance": 300, "tax_exempt": 99_999,
                                     "low_income": 210, "support_needed": 150}},
            "at most 3,000 yen an hour",
        ),
        ({"caps": [{"period": "month", "limit_minutes": 800 * 60}]}, "at most 744 hours"),
    ],
)  # fmt: skip
def test_incoherent_settings_are_refused_by_the_service(ward, admin, changes, expected):
    [message] = refused(admin, values(**changes))
    assert expected in message


def test_caps_are_saved_month_first(ward, admin):
    row = services.save_version(
        admin,
        values(
            caps=[
                {"period": "fiscal_year", "limit_minutes": 160 * 60},
                {"period": "month", "limit_minutes": 48 * 60},
            ]
        ),
    )
    assert [c["period"] for c in row.caps] == ["month", "fiscal_year"]


def test_the_payer_is_a_select_and_a_typed_payer_is_refused_with_a_link(client, ward, admin):
    desk(client, admin)
    page = client.get(reverse("municipalities:policy_new")).content.decode()
    assert '<select name="buckets-1-payer"' in page
    assert 'name="buckets-1-national"' not in page  # the national payer is the national benefit
    data = form_data(values())
    data["buckets-1-payer"] = "tokio"
    response = client.post(reverse("municipalities:policy_new"), data)
    assert response.status_code == 400
    html = response.content.decode()
    summary = html[
        html.index('id="policy-errors"') : html.index("</div>", html.index('id="policy-errors"'))
    ]
    assert 'href="#id_buckets-1-payer"' in summary and "tokio" in summary
    assert MunicipalPolicy.objects.count() == 1


def test_the_error_summary_links_each_refusal_to_its_field_or_section(client, ward, admin):
    v = values(
        caps=[
            {"period": "month", "limit_minutes": 200 * 60},
            {"period": "fiscal_year", "limit_minutes": 150 * 60},
        ]
    )
    response = desk(client, admin).post(reverse("municipalities:policy_new"), form_data(v))
    assert response.status_code == 400
    html = response.content.decode()
    assert '<a href="#caps">The monthly cap is above the fiscal-year cap' in html
    assert 'id="caps"' in html
    data = form_data(values())
    data["reduction_tax_exempt"] = "99999"
    html = client.post(reverse("municipalities:policy_new"), data).content.decode()
    assert 'href="#id_reduction_tax_exempt"' in html
    assert "less than or equal to 3000" in html
    data = form_data(values(effective_from=dt.date(2026, 11, 20)))
    html = client.post(reverse("municipalities:policy_new"), data).content.decode()
    assert '<a href="#id_effective_from">The effective date cannot be in the past.' in html
    assert MunicipalPolicy.objects.count() == 1


def test_the_default_effective_date_never_collides_with_a_saved_version(client, ward, admin):
    desk(client, admin)
    services.save_version(admin, values(effective_from=dt.date(2026, 11, 27)))
    page = client.get(reverse("municipalities:policy_new")).content.decode()
    assert 'name="effective_from" value="2026-11-28"' in page
    services.save_version(admin, values(effective_from=dt.date(2026, 12, 15)))
    page = client.get(reverse("municipalities:policy_new")).content.decode()
    assert 'name="effective_from" value="2026-12-16"' in page
    # Saving the prefilled editor as it is works.
    response = client.post(reverse("municipalities:policy_new"), form_data(
        values(effective_from=dt.date(2026, 12, 16))
    ))  # fmt: skip
    assert response.status_code == 302


def test_on_the_last_day_of_march_the_default_is_the_next_fiscal_year(ward, admin):
    with clock.frozen(dt.datetime(2027, 3, 30, 10, 0)):
        services.save_version(admin, values(fiscal_year=2026, effective_from=dt.date(2027, 3, 31)))
        start = services.starting_point(admin)
    assert (start.effective_from, start.fiscal_year) == (dt.date(2027, 4, 1), 2027)


def test_existing_payers_are_migrated_to_the_list():
    import importlib

    migration = importlib.import_module("tsuen.municipalities.migrations.0004_payers_from_a_list")
    assert migration.payer_from_text("national", True, "東京都") == "national"
    for typed in ("tokyo", "tokio", "Tokyo", "東京都", "東京", "prefecture"):
        assert migration.payer_from_text(typed, False, "東京都") == "prefecture", typed
    for typed in ("ward", "setagaya", "municipality", "新宿区"):
        assert migration.payer_from_text(typed, False, "東京都") == "ward", typed
