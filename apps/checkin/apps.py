from django.apps import AppConfig


class CheckinConfig(AppConfig):
    name = "apps.checkin"
    label = "checkin"
    verbose_name = "Door check-in"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (the live count listens to the door's events)
