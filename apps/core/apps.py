from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"

    def ready(self) -> None:
        # redis-py's package imports itself in a cycle (redis -> redis.asyncio.client ->
        # redis.client -> redis), so a first import made by two threads at once fails with
        # "partially initialized module" ImportError. Lazily, the cache backend, /readyz,
        # the channel layer and Celery's broker each import it on their first use: in a
        # fresh gunicorn worker (one replacing a killed worker, say) several request
        # threads at once. Import it here, while Django starts on one thread.
        import redis  # noqa: F401

        from . import signals  # noqa: F401  (connects the request-id plumbing)
