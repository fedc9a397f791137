"""One date style per language, for screens, emails, CSVs and PDFs alike.

Japanese reads 令和8年12月3日 and 令和8年12月, or 2026年12月3日 and 2026年12月 where the ward chose
western years (``Municipality.western_years``); English reads "3 Dec 2026" and "December 2026".
Never ISO in prose: ISO stays for machine formats (``<input type=date>``, ``datetime=``
attributes, file names, API values).

Which ward's choice applies is held in a context variable: the request middleware sets it for
the logged-in user's ward (lazily, so a page without dates costs no query), ``notices.notify``
for the recipient's; with no ward known the era style (the default) applies.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import dateformat, timezone, translation
from django.utils.functional import lazy

from tsuen.core.wareki import WEEKDAYS, japanese_date, japanese_month

# A bool, or a callable answering the municipality (or None) whose choice applies.
_style: ContextVar[bool | Callable[[], object] | None] = ContextVar(
    "tsuen_date_style", default=None
)


@contextmanager
def ward_style(source) -> Iterator[None]:
    """Date in the style of ``source``: a Municipality, None (the default, era years), a bool
    (western years or not), or a callable returning a Municipality or None (resolved once, at
    the first date formatted)."""
    if callable(source) or isinstance(source, bool):
        value = source
    else:
        value = bool(getattr(source, "western_years", False))
    token = _style.set(value)
    try:
        yield
    finally:
        _style.reset(token)


def western_years() -> bool:
    value = _style.get()
    if callable(value):
        municipality = value()
        value = bool(getattr(municipality, "western_years", False))
        _style.set(value)  # resolved once per context
    return bool(value)


def is_japanese() -> bool:
    return (translation.get_language() or "ja").startswith("ja")


def _day(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        # An aware moment is dated where the user is (JST), not in UTC as stored.
        return (timezone.localtime(value) if timezone.is_aware(value) else value).date()
    return value


def date_text(value: dt.date | dt.datetime | None, *, weekday: bool = False) -> str:
    """令和8年12月3日 / 2026年12月3日 / 3 Dec 2026, with the weekday if asked: 令和8年12月3日（木）,
    Thu 3 Dec 2026."""
    if not isinstance(value, dt.date):
        return ""  # like Django's date filter: nothing for what is not a date
    day = _day(value)
    if is_japanese():
        text = japanese_date(day, era=not western_years())
        return f"{text}（{WEEKDAYS[day.weekday()]}）" if weekday else text
    return dateformat.format(day, "D j M Y" if weekday else "j M Y")


def month_text(value: dt.date | dt.datetime | None) -> str:
    """令和8年12月 / 2026年12月 / December 2026."""
    if not isinstance(value, dt.date):
        return ""
    day = _day(value)
    if is_japanese():
        return japanese_month(day, era=not western_years())
    return dateformat.format(day, "F Y")


def datetime_text(value: dt.datetime | None) -> str:
    """The date as ``date_text`` and the local time: 令和8年12月3日 14:05 / 3 Dec 2026 14:05."""
    if not isinstance(value, dt.datetime):
        return date_text(value)
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{date_text(local.date())} {local:%H:%M}"


class Month(dt.date):
    """A date that is written as its month (令和8年12月, December 2026) in an email's context:
    ``Month(2026, 12, 1)``."""


def text_of(value):
    """A date, moment or month as its text; lists and dicts of them, item by item; anything
    else as it is."""
    if isinstance(value, dt.datetime):
        return datetime_text(value)
    if isinstance(value, Month):
        return month_text(value)
    if isinstance(value, dt.date):
        return date_text(value)
    if isinstance(value, list | tuple):
        return [text_of(v) for v in value]
    if isinstance(value, dict):
        return {k: text_of(v) for k, v in value.items()}
    return value


def texts(values: dict) -> dict:
    """``values`` with every date, moment and month (also inside lists and dicts) replaced by
    its text (for email contexts)."""
    return {k: text_of(v) for k, v in values.items()}


def ward_of(user):
    """The municipality whose style and service name apply to ``user``: a municipal account's
    own, a facility's ward, a guardian's (or proxy's) household's ward; None otherwise. Every
    signed-in page and notice asks it: compiled once (``core.compiled``)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    from tsuen.core import tenancy

    queries = _ward_queries()
    if user.municipality_id:
        return _first(queries["own"], pk=user.municipality_id)
    with tenancy.cross_tenant("a user's own ward, for date style and service name"):
        if user.facility_id:
            return _first(queries["facility"], pk=user.facility_id)
        return _first(queries["guardian"], pk=user.pk) or _first(queries["proxy"], pk=user.pk)


def _first(query, **values):
    found = query.objects(**values)
    return found[0] if found else None


def _wards(own, facility, user) -> dict:
    """Where :func:`ward_of` looks, in order: each kind of account's ward, as a queryset of the
    first Municipality (as ``.first()`` orders) for the account's ward, facility and id."""
    from tsuen.municipalities.models import Municipality

    def first(**lookup):
        found = Municipality.objects.filter(**lookup)
        return (found if found.ordered else found.order_by("pk"))[:1]

    return {
        "own": first(pk=own),
        "facility": first(facilities__id=facility),
        "guardian": first(households__guardians__user_id=user),
        "proxy": first(
            households__proxies__user_id=user, households__proxies__revoked_at__isnull=True
        ),
    }


@functools.cache
def _ward_queries() -> dict:
    """The compiled queries of :func:`ward_of`, made at first use (not at import: the models
    are not loaded yet)."""
    from tsuen.core.compiled import CompiledQuery

    return {
        kind: CompiledQuery(lambda pk, kind=kind: _wards(pk, pk, pk)[kind], pk="int")
        for kind in ("own", "facility", "guardian", "proxy")
    }


#: The annotation of the signed-in account (``accounts.backends``) that holds its ward's date
#: style, read with the account: no statement of its own on a page that shows a date.
WARD_WESTERN_YEARS = "ward_western_years"


def account_annotations() -> dict:
    """``western_years`` of :func:`ward_of`'s ward, as an annotation of the account's row (NULL
    without a ward): the same lookups, in the same order, as subqueries."""
    from django.db.models import BooleanField, Case, OuterRef, Subquery, When
    from django.db.models.functions import Coalesce

    wards = {
        kind: Subquery(found.values("western_years"), output_field=BooleanField())
        for kind, found in _wards(
            OuterRef("municipality_id"), OuterRef("facility_id"), OuterRef("pk")
        ).items()
    }
    return {
        WARD_WESTERN_YEARS: Case(
            When(municipality_id__isnull=False, then=wards["own"]),
            When(facility_id__isnull=False, then=wards["facility"]),
            default=Coalesce(wards["guardian"], wards["proxy"]),
            output_field=BooleanField(),
        )
    }


def account_style(user):
    """The date style to use for ``user``: read with the account when it was (a bool), else
    looked up at the first date shown (:func:`ward_style`)."""
    if hasattr(user, WARD_WESTERN_YEARS):
        return bool(getattr(user, WARD_WESTERN_YEARS))
    return lambda: ward_of(user)


#: The same, written only when shown (a string built before the reader's language and ward
#: apply). A notice's context takes dates and ``Month`` instead: the worker renders the email
#: when it sends it, which a lazy string prevents (``notices.services.stored``).
date_lazy = lazy(date_text, str)
month_lazy = lazy(month_text, str)
