"""The iCal feed of a child's bookings behind a secret URL (``/calendar/<token>.ics``).

The family makes the feed, and can reset it (the old URL stops working at once) or remove it.
Only the SHA-256 of the token is stored, so the URL is shown once, when it is made or reset.
The feed tells a calendar app when and where the child is in care, nothing more: the facility's
name and address and the times (no child's name, no health or family data), so that a leaked
URL discloses as little as possible. Every fetch is audited as an anonymous read of the feed.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.urls import reverse

from tsuen.audit import record, record_many
from tsuen.authz.policy import Action, filter_allowed, get_or_404, require
from tsuen.booking.models import Booking, BookingStatus
from tsuen.core import clock, tenancy
from tsuen.core.context import Actor, acting_as, current_actor
from tsuen.core.tokens import token_hash
from tsuen.families.models import Child
from tsuen.notices.models import CalendarFeed

TOKYO = ZoneInfo("Asia/Tokyo")
#: How far back the feed reaches: recent visits stay in the calendar for a month.
FEED_PAST_DAYS = 30
#: The token's random bytes (256 bits): unguessable, so its plain hash is enough.
TOKEN_BYTES = 32
LIST_FIELDS = ("family_name", "given_name")


def feed_url(token: str) -> str:
    return settings.SITE_URL + reverse("notices:ical", args=[token])


# --- the family's settings page ---------------------------------------------------------------


@dataclass(frozen=True)
class FeedStatus:
    child: Child
    feed: CalendarFeed | None


def feeds_for(user) -> list[FeedStatus]:
    """The user's children and whether each has a feed. 404 for users who manage no feeds."""
    require(user, Action.CALENDAR_FEED_MANAGE, Child)
    children = list(
        filter_allowed(user, Action.CALENDAR_FEED_MANAGE, Child.objects.all())
        .select_related("calendar_feed")
        .order_by("birth_date", "pk")
    )
    record_many("list", children, fields=LIST_FIELDS)
    return [FeedStatus(child, getattr(child, "calendar_feed", None)) for child in children]


def reset_feed(user, child_id: int) -> str:
    """Make the child's feed, or give it a new secret URL (the old one stops working).

    Returns the new URL: the only time it can be shown, since only its hash is kept."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = clock.now()
    with transaction.atomic():
        child = get_or_404(
            user, Action.CALENDAR_FEED_MANAGE, Child.objects.select_for_update(), pk=child_id
        )
        feed = CalendarFeed.objects.filter(child=child).first()
        if feed is None:
            feed = CalendarFeed.objects.create(
                child=child, token_sha256=token_hash(token), created_at=now
            )
            record("create", feed, fields=["token_sha256"])
        else:
            feed.token_sha256, feed.reset_at = token_hash(token), now
            feed.save(update_fields=["token_sha256", "reset_at"])
            record("update", feed, fields=["token_sha256", "reset_at"])
    return feed_url(token)


def remove_feed(user, child_id: int) -> None:
    """Turn the child's feed off: its URL stops working."""
    with transaction.atomic():
        child = get_or_404(user, Action.CALENDAR_FEED_MANAGE, Child.objects.all(), pk=child_id)
        feed = CalendarFeed.objects.filter(child=child).first()
        if feed is not None:
            record("delete", feed)
            feed.delete()


# --- the feed itself ----------------------------------------------------------------------------


def ical_feed(token: str) -> bytes:
    """The feed for a secret token, as an iCalendar document; 404 for an unknown token.

    Whoever holds the URL may read it (that is what a calendar subscription is), so the token,
    not the session, is the authorization: the read is audited as anonymous whoever is logged
    in, and it runs cross-tenant because the token, not the reader's ward, names the child."""
    if not token or len(token) > 100:
        raise Http404
    actor = current_actor()
    anonymous = Actor(
        user_id=None,
        role="anonymous",
        source_address=actor.source_address,
        request_id=actor.request_id,
    )
    with (
        tenancy.cross_tenant("calendar feed: the secret token names the child"),
        acting_as(anonymous),
    ):
        feed = CalendarFeed.objects.filter(token_sha256=token_hash(token)).first()
        if feed is None:
            raise Http404
        since = clock.today() - dt.timedelta(days=FEED_PAST_DAYS)
        bookings = list(
            Booking.objects.filter(
                child_id=feed.child_id, status=BookingStatus.CONFIRMED, date__gte=since
            )
            .select_related("facility")
            .order_by("starts_at", "pk")
        )
        record("read", feed)
        return _calendar(bookings).to_ical()


def _calendar(bookings: list[Booking]) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//tsuen//visits//JA")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "tsuen")
    calendar.add("x-wr-timezone", "Asia/Tokyo")
    stamp = clock.now().astimezone(dt.UTC)
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "tsuen"
    for booking in bookings:
        facility = booking.facility
        event = icalendar.Event()
        event.add("uid", f"booking-{booking.pk}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", booking.starts_at.astimezone(TOKYO))
        event.add("dtend", booking.ends_at.astimezone(TOKYO))
        event.add("summary", facility.name)
        event.add("location", f"〒{facility.postal_code} {facility.address}")
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar
