from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "apps.bookings"
    label = "bookings"

    def ready(self) -> None:
        from apps.scheduling import inventory

        from . import receivers, selectors  # noqa: F401  (receivers: organizer edits go live)

        inventory.register(
            availability=selectors.slot_availability_map, statuses=selectors.seat_statuses
        )
