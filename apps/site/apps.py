from django.apps import AppConfig


class SiteConfig(AppConfig):
    """The public pages: events, showtimes with the seat picker, checkout, my bookings."""

    name = "apps.site"
    label = "site"
    verbose_name = "Public site"
