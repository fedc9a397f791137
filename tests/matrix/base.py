"""The vocabulary of matrix rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

ACTORS = (
    "anonymous",
    "guardian",
    "proxy",
    "facility_staff",
    "facility_manager",
    "unrelated_facility_staff",
    "municipal_reviewer",
    "municipal_payments",
    "municipal_admin",
    "auditor",
    "national_operator",
    "other_ward_reviewer",
)
LOGIN = 302  # anonymous visitors are sent to the login page
MUNICIPAL = ("municipal_reviewer", "municipal_payments", "municipal_admin")
#: The ward's staff who read a child's care records (not the payments officer).
CARE_DESK = ("municipal_reviewer", "municipal_admin")
FACILITY = ("facility_staff", "facility_manager", "unrelated_facility_staff")
RELATED_FACILITY = ("facility_staff", "facility_manager")
FAMILY = ("guardian", "proxy")


@dataclass(frozen=True)
class Row:
    """Expected status per actor (``default`` for actors not named).

    ``args`` builds the route's positional arguments from the world; ``method`` and ``data``
    describe the request (a POST row checks who may *act*, so a refused actor must change
    nothing: the world is rebuilt for every actor); ``reauthenticated`` sends it just after a
    re-authentication by password."""

    default: int
    only: dict[str, int] = field(default_factory=dict)
    args: Callable[[dict], list] | None = None
    method: str = "get"
    data: Callable[[dict], dict] | None = None
    #: Send the request right after a re-authentication (protected exports ask for one).
    reauthenticated: bool = False

    def expect(self, actor: str) -> int:
        return self.only.get(actor, self.default)


def ok(*actors: str, status: int = 200) -> dict[str, int]:
    return dict.fromkeys(actors, status)


def arg(key: str) -> Callable[[dict], list]:
    """Arguments: the pk of one world object."""
    return lambda world: [world[key].pk]


def export_form(world: dict | None = None) -> dict:
    """What every protected export's form sends: a fresh one-time id."""
    import secrets

    return {"request_id": secrets.token_urlsafe(18)}


def export_rows(
    key: str,
    allowed: tuple[str, ...],
    *,
    args: Callable[[dict], list] | None = None,
    data: Callable[[dict], dict] | None = None,
) -> dict[str, Row]:
    """The rows of a protected export (issue 9 item 4): POST without a fresh
    re-authentication sends the allowed actors to re-authenticate (302) and answers 404 to the
    others; POST just after one gives the allowed actors the ready page (200); GET makes no
    file for anyone (405)."""

    def form(world):
        return export_form() | (data(world) if data else {})

    def post(status: int, reauthenticated: bool) -> Row:
        return Row(
            404,
            {"anonymous": LOGIN} | ok(*allowed, status=status),
            args=args,
            method="post",
            data=form,
            reauthenticated=reauthenticated,
        )

    return {
        key: post(302, False),
        f"{key}@reauthenticated": post(200, True),
        f"{key}@get": Row(405, {"anonymous": LOGIN}, args=args),
    }
