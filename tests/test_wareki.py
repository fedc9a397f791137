import datetime as dt

import pytest

from tsuen.core.wareki import wareki, wareki_year


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (dt.date(2026, 11, 26), "令和8年11月26日"),
        (dt.date(2019, 5, 1), "令和元年5月1日"),
        (dt.date(2019, 4, 30), "平成31年4月30日"),
        (dt.date(1989, 1, 8), "平成元年1月8日"),
        (dt.date(1989, 1, 7), "昭和64年1月7日"),
    ],
)
def test_era_boundaries(day, text):
    assert wareki(day) == text


def test_year_only_and_plain_first_year():
    assert wareki_year(dt.date(2026, 4, 1)) == "令和8年"
    assert wareki(dt.date(2019, 5, 1), gannen=False) == "令和1年5月1日"


def test_before_showa_is_refused():
    with pytest.raises(ValueError):
        wareki(dt.date(1926, 12, 24))


@pytest.mark.django_db
def test_template_filter_reads_era_years_in_japanese_and_day_month_year_in_english():
    from django.template import engines
    from django.utils import translation

    tpl = engines["django"].from_string("{% load tsuen %}{{ d|date_jp }}|{{ d|month_jp }}")
    with translation.override("ja"):
        assert tpl.render({"d": dt.date(2026, 12, 3)}) == "令和8年12月3日|令和8年12月"
    with translation.override("en"):
        assert tpl.render({"d": dt.date(2026, 12, 3)}) == "3 Dec 2026|December 2026"


@pytest.mark.django_db
def test_a_ward_that_chose_western_years_reads_them_everywhere():
    from django.template import engines
    from django.utils import translation

    from tests import factories
    from tsuen.core import dates

    ward = factories.municipality(western_years=True)
    tpl = engines["django"].from_string(
        '{% load tsuen %}{{ d|date_jp }}|{{ d|date_jp:"D" }}|{{ d|month_jp }}|{{ m|datetime_jp }}'
    )
    context = {"d": dt.date(2026, 12, 3), "m": dt.datetime(2026, 12, 3, 5, 30, tzinfo=dt.UTC)}
    with translation.override("ja"), dates.ward_style(ward):
        assert (
            tpl.render(context)
            == "2026年12月3日|2026年12月3日（木）|2026年12月|2026年12月3日 14:30"
        )
    with translation.override("ja"), dates.ward_style(lambda: None):
        assert (
            tpl.render(context)
            == "令和8年12月3日|令和8年12月3日（木）|令和8年12月|令和8年12月3日 14:30"
        )
    with translation.override("en"), dates.ward_style(ward):
        assert tpl.render(context) == "3 Dec 2026|Thu 3 Dec 2026|December 2026|3 Dec 2026 14:30"


@pytest.mark.django_db
def test_a_moment_is_dated_in_japan_not_in_utc():
    from django.template import engines
    from django.utils import translation

    tpl = engines["django"].from_string("{% load tsuen %}{{ d|date_jp }}")
    # 2026-12-31 20:00 UTC is already New Year's Day in Tokyo.
    moment = dt.datetime(2026, 12, 31, 20, 0, tzinfo=dt.UTC)
    with translation.override("ja"):
        assert tpl.render({"d": moment}) == "令和9年1月1日"


@pytest.mark.django_db
def test_each_user_reads_dates_in_the_style_of_their_own_ward():
    """``dates.ward_of``: a ward's staff their ward, a facility's staff the facility's ward, a
    guardian or a proxy with a live grant the household's ward; nobody else any ward."""
    from django.contrib.auth.models import AnonymousUser
    from django.utils import timezone

    from tests import factories as f
    from tsuen.accounts.models import Role
    from tsuen.core import dates
    from tsuen.families.models import ProxyGrant
    from tsuen.municipalities.models import Municipality

    home, other, third = f.municipality(), f.municipality(), f.municipality()
    guardian, household, _child = f.family(home)
    second_guardian, _hh, _kid = f.family(other)
    proxy, revoked = f.user(Role.PROXY), f.user(Role.PROXY)
    ProxyGrant.objects.create(household=household, user=proxy, granted_by=guardian)
    ProxyGrant.objects.create(
        household=household, user=revoked, granted_by=guardian, revoked_at=timezone.now()
    )
    expected = {
        f.user(Role.MUNICIPAL_REVIEWER, municipality=other): other,
        f.user(Role.FACILITY_STAFF, facility=f.facility(third)): third,
        guardian: home,
        second_guardian: other,
        proxy: home,
        revoked: None,
        f.user(Role.NATIONAL_OPERATOR): None,
        AnonymousUser(): None,
        None: None,
    }
    for user, ward in expected.items():
        assert dates.ward_of(user) == ward, user

    # The same ward's date style comes with the signed-in account (no statement of its own).
    from tsuen.accounts.backends import StaffNetworkBackend

    home.western_years = third.western_years = True
    home.save()
    third.save()
    for user, ward in expected.items():
        if user is None or not user.is_authenticated:
            continue
        loaded = StaffNetworkBackend().get_user(user.pk)
        assert getattr(loaded, dates.WARD_WESTERN_YEARS) == (
            Municipality.objects.get(pk=ward.pk).western_years if ward else None
        ), user
        assert dates.account_style(loaded) is bool(ward and ward.pk in (home.pk, third.pk)), user
    assert callable(dates.account_style(AnonymousUser()))  # looked up, if ever, when shown
