"""Test settings: the base configuration, made fast and deterministic."""

import os

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests run each Celery task in-process so they can assert its effects.
CELERY_TASK_ALWAYS_EAGER = True
# Tests run periodic work explicitly, never from a background thread.
VENUE_EMBEDDED_BEAT = False
# Static files come from the finders; nothing is collected for tests.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
# Concurrency tests race up to 36 threads in this one process: let each have a connection.
if "pool" in DATABASES["default"].get("OPTIONS", {}):
    DATABASES["default"]["OPTIONS"]["pool"]["max_size"] = max(
        DATABASES["default"]["OPTIONS"]["pool"]["max_size"], 40
    )

# `make test` runs the conformance test in a second pytest process beside the rest
# (tests/support/split_run.py): it names that process's own test database.
if os.environ.get("VENUE_TEST_DB_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["VENUE_TEST_DB_NAME"]}
