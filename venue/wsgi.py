"""WSGI entry point: HTTP only (`venue.wsgi:application`)."""

from django.core.wsgi import get_wsgi_application

import venue

venue.use_default_settings()

application = get_wsgi_application()
