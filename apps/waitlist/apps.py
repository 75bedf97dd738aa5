from django.apps import AppConfig


class WaitlistConfig(AppConfig):
    name = "apps.waitlist"
    label = "waitlist"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects to bookings' and scheduling's signals)
