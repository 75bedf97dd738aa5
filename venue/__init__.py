"""VENUE: seats for movies, concerts and plays."""

import os


def use_default_settings() -> None:
    """Pick the settings module from DJANGO_DEBUG unless one is named already."""
    debug = os.environ.get("DJANGO_DEBUG", "0") == "1"
    os.environ.setdefault(
        "DJANGO_SETTINGS_MODULE",
        "venue.settings.local" if debug else "venue.settings.production",
    )


from .celery import app as celery_app  # noqa: E402

__all__ = ("celery_app", "use_default_settings")
