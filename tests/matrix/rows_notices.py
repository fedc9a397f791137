from django.utils import timezone

from tests.matrix.base import FAMILY, LOGIN, Row, ok
from tsuen.core.tokens import token_hash
from tsuen.notices.models import CalendarFeed

TOKEN = "matrix-calendar-feed-token"


def extend(world):
    CalendarFeed.objects.create(
        child=world["own_child"], token_sha256=token_hash(TOKEN), created_at=timezone.now()
    )
    world["calendar_token"] = TOKEN


ROWS = {
    "notices:calendar_settings": Row(404, {"anonymous": LOGIN} | ok(*FAMILY)),
    # The feed itself: whoever holds the secret URL (a calendar app, not logged in).
    "notices:ical": Row(200, args=lambda w: [w["calendar_token"]]),
    "notices:ical@unknown_token": Row(404, args=lambda w: ["no-such-token"]),
    # Making or resetting a child's feed URL: the child's family only (after the feed rows:
    # a reset retires the world's token).
    "notices:calendar_settings@reset": Row(
        404,
        {"anonymous": LOGIN} | ok(*FAMILY),
        method="post",
        data=lambda w: {"child": w["own_child"].pk, "action": "reset"},
    ),
}
