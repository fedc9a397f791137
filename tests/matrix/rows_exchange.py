"""Exchange files (issue 13 item 7): the ward's administrator only; an uploaded file's preview,
import and discarding only for the administrator who uploaded it."""

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.matrix.base import LOGIN, Row, export_rows, ok
from tsuen.exchange import layout, services

ADMIN = "municipal_admin"


def extend(world):
    header = layout.write([], layout.UTF8)
    world["exchange_upload"] = services.upload(
        world["users"][ADMIN], SimpleUploadedFile("matrix.csv", header)
    )


def _token(world):
    return [world["exchange_upload"].token]


ROWS = {
    "exchange:home": Row(404, {"anonymous": LOGIN} | ok(ADMIN)),
    **export_rows("exchange:export", (ADMIN,), data=lambda world: {"encoding": "utf-8"}),
    # No file sent: the administrator gets the form's message.
    "exchange:upload": Row(404, {"anonymous": LOGIN} | ok(ADMIN, status=400), method="post"),
    "exchange:preview": Row(404, {"anonymous": LOGIN} | ok(ADMIN), args=_token),
    # Without the preview's token nothing is imported.
    "exchange:commit": Row(
        404, {"anonymous": LOGIN} | ok(ADMIN, status=400), args=_token, method="post"
    ),
    "exchange:discard": Row(
        404, {"anonymous": LOGIN} | ok(ADMIN, status=302), args=_token, method="post"
    ),
}
