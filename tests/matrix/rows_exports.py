"""Protected exports (issue 9 item 4): an export waiting for its download is reached by the
person who asked for it, and nobody else."""

from tests.matrix.base import LOGIN, Row, ok
from tsuen.exports import services

OWNER = "municipal_payments"


def extend(world):
    sealed = services.seal(
        world["users"][OWNER],
        "matrix-request-0001",
        "claims-202610.csv",
        b"\xef\xbb\xbfmatrix",
        municipality_id=world["ward"].pk,
    )
    world["export"] = sealed.export


def _token(world):
    return [world["export"].token]


ROWS = {
    "exports:ready": Row(404, {"anonymous": LOGIN} | ok(OWNER), args=_token),
    "exports:download": Row(404, {"anonymous": LOGIN} | ok(OWNER), args=_token, method="post"),
}
