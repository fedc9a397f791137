from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "tsuen.booking"

    def ready(self) -> None:
        # Connects the waitlist's receiver of signals.place_freed.
        from tsuen.booking import waitlist  # noqa: F401
