"""WebSocket endpoints of the core: a health socket for load balancers."""

from channels.generic.websocket import AsyncWebsocketConsumer

from .metrics import ConnectionMetricsMixin


class HealthConsumer(ConnectionMetricsMixin, AsyncWebsocketConsumer):
    """Answer the text `ping` with `pong`; anything else gets an explanation."""

    metrics_name = "health"

    async def receive(self, text_data=None, bytes_data=None):
        if text_data == "ping":
            await self.send(text_data="pong")
        else:
            await self.send(text_data='{"type": "error", "message": "send the text ping"}')
