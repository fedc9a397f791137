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
def test_template_filter_shows_western_and_era_year():
    from django.template import engines
    from django.utils import translation

    tpl = engines["django"].from_string("{% load tsuen %}{{ d|date_jp }}")
    with translation.override("ja"):
        assert tpl.render({"d": dt.date(2026, 11, 26)}) == "2026年11月26日（令和8年）"
    with translation.override("en"):
        assert "2026" in tpl.render({"d": dt.date(2026, 11, 26)})
        assert "令和8年" in tpl.render({"d": dt.date(2026, 11, 26)})


@pytest.mark.django_db
def test_a_moment_is_dated_in_japan_not_in_utc():
    from django.template import engines
    from django.utils import translation

    tpl = engines["django"].from_string("{% load tsuen %}{{ d|date_jp }}")
    # 2026-12-31 20:00 UTC is already New Year's Day in Tokyo.
    moment = dt.datetime(2026, 12, 31, 20, 0, tzinfo=dt.UTC)
    with translation.override("ja"):
        assert tpl.render({"d": moment}) == "2027年1月1日（令和9年）"
