"""The Celery application `venue`: broker on Redis, or eager in the embedded default."""

from celery import Celery

import venue

venue.use_default_settings()

app = Celery("venue")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
