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
    nothing: the world is rebuilt for every actor)."""

    default: int
    only: dict[str, int] = field(default_factory=dict)
    args: Callable[[dict], list] | None = None
    method: str = "get"
    data: Callable[[dict], dict] | None = None

    def expect(self, actor: str) -> int:
        return self.only.get(actor, self.default)


def ok(*actors: str, status: int = 200) -> dict[str, int]:
    return dict.fromkeys(actors, status)


def arg(key: str) -> Callable[[dict], list]:
    """Arguments: the pk of one world object."""
    return lambda world: [world[key].pk]
