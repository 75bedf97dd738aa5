"""The production settings, with mail written to the server log.

Without REDIS_URL, Celery runs tasks eagerly in the web process, and the production
SMTP backend has no server here: the booking-confirmation mail would fail the request.
"""

from venue.settings.production import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
