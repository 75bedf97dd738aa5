"""ASGI entry point: HTTP and WebSocket (`venue.asgi:application`)."""

from django.core.asgi import get_asgi_application

import venue

venue.use_default_settings()

# Django must be set up before anything imports models.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from apps.core.websocket import site_origin_validator  # noqa: E402
from venue.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": site_origin_validator(URLRouter(websocket_urlpatterns)),
    }
)

# Without a broker (the embedded default) run the periodic tasks in this process.
from apps.core.periodic import start_embedded_beat  # noqa: E402

start_embedded_beat()
