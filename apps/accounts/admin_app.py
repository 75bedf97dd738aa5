"""The admin's app config, kept apart from `apps.py` (one default config per module)."""

from django.contrib.admin.apps import AdminConfig


class VenueAdminConfig(AdminConfig):
    """django.contrib.admin with VENUE's own site, where organizers log in too."""

    default_site = "apps.accounts.adminsite.VenueAdminSite"
