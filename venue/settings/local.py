"""Development: `make run` (DJANGO_DEBUG=1), the embedded defaults unless overridden."""

from .base import *  # noqa: F403

DEBUG = True
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# Plain HTTP on loopback; no HTTPS redirect or Secure cookies here.
SECURE_SSL_REDIRECT = False
# Static files come from the finders; `collectstatic` is for production.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
