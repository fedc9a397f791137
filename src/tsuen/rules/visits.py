"""A visit as the cap and funding rules see it: a day and its billed minutes."""

from dataclasses import dataclass
from datetime import date

from .errors import RuleError
from .periods import require_date


@dataclass(frozen=True)
class Visit:
    """A visit (or a booking, or a late cancellation that counts) on `date`.

    `minutes` are billed minutes, already rounded (see billable_minutes).
    """

    date: date
    minutes: int

    def __post_init__(self) -> None:
        require_date(self.date, "Visit.date")
        if isinstance(self.minutes, bool) or not isinstance(self.minutes, int):
            raise RuleError("value_invalid", f"Visit.minutes must be whole: {self.minutes!r}.")
        if self.minutes <= 0:
            raise RuleError(
                "visit_minutes_not_positive", f"A visit needs minutes above 0: {self.minutes}."
            )
