"""和暦 (Japanese era) dates for display beside the western year. Pure, no Django."""

from __future__ import annotations

import datetime as dt

#: (first day of the era, name). Newest first.
ERAS = (
    (dt.date(2019, 5, 1), "令和"),
    (dt.date(1989, 1, 8), "平成"),
    (dt.date(1926, 12, 25), "昭和"),
)


def era_year(day: dt.date) -> tuple[str, int]:
    """('令和', 8) for any day of 2026; the first year of an era is 1 (shown as 元年)."""
    for start, name in ERAS:
        if day >= start:
            return name, day.year - start.year + 1
    raise ValueError(f"no era defined for {day.isoformat()}")


def wareki(day: dt.date, *, gannen: bool = True) -> str:
    """'令和8年11月26日'. With ``gannen`` the first year reads 元年 (令和元年5月1日)."""
    name, year = era_year(day)
    year_text = "元" if gannen and year == 1 else str(year)
    return f"{name}{year_text}年{day.month}月{day.day}日"


def wareki_year(day: dt.date) -> str:
    name, year = era_year(day)
    return f"{name}{'元' if year == 1 else year}年"


def japanese_date(day: dt.date, *, era: bool = True) -> str:
    """'令和8年12月3日' (era years) or '2026年12月3日' (western years)."""
    return wareki(day) if era else f"{day.year}年{day.month}月{day.day}日"


def japanese_month(day: dt.date, *, era: bool = True) -> str:
    """'令和8年12月' (era years) or '2026年12月' (western years)."""
    return f"{wareki_year(day) if era else f'{day.year}年'}{day.month}月"


#: Weekday names, Monday first (``date.weekday()``).
WEEKDAYS = "月火水木金土日"
