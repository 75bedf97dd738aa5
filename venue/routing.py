"""WebSocket routes."""

from django.urls import path

from apps.bookings.consumers import SlotSeatMapConsumer, UserEventsConsumer
from apps.checkin.consumers import CheckinConsumer
from apps.core.consumers import HealthConsumer

websocket_urlpatterns = [
    path("ws/health/", HealthConsumer.as_asgi()),
    path("ws/slots/<int:slot_id>/", SlotSeatMapConsumer.as_asgi()),
    path("ws/me/", UserEventsConsumer.as_asgi()),
    path("ws/checkin/<int:slot_id>/", CheckinConsumer.as_asgi()),
]
