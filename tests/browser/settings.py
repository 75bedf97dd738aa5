"""The production settings, with mail written to files the tests read.

Without REDIS_URL, Celery runs tasks eagerly in the web process, and the production
SMTP backend has no server here: the booking-confirmation mail would fail the request.
Each message is a file in VENUE_TEST_MAIL_DIR (Django's file backend), so a browser
test can follow a link it was emailed (`conftest.Site.mail`).
"""

import os

from venue.settings.production import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["VENUE_TEST_MAIL_DIR"]
