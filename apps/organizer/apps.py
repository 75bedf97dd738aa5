from django.apps import AppConfig


class OrganizerConfig(AppConfig):
    """The organizer portal: pages on top of catalog, scheduling and bookings."""

    name = "apps.organizer"
    label = "organizer"
    verbose_name = "Organizer portal"
