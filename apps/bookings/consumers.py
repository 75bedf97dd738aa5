"""The live seat map: `/ws/slots/<id>/` sends a snapshot, then every change as it commits.

Messages (API.md): on connect `{"type": "snapshot", "version", "available", "seats"}`;
then `{"type": "update", "version", "available", "changes"}` per committed change,
versions rising by one. A client that sees a gap sends `{"type": "resync"}`.
The socket joins the slot's group before reading the snapshot, so no change is
lost in between; an update whose version is not above the snapshot's is one the
snapshot already contains, and clients drop it.
"""

import json
import time

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from .realtime import group_name

MAX_MESSAGE_BYTES = 1024
MESSAGES_PER_SECOND = 5
BURST = 20
CLOSE_UNKNOWN_SLOT = 4404
CLOSE_TOO_MANY_MESSAGES = 4429
CLOSE_TOO_BIG = 1009


@database_sync_to_async
def load_snapshot(slot_id: int) -> dict | None:
    """The slot's seat map as one consistent-enough read: version first, then statuses."""
    from apps.scheduling.models import Seating, Slot

    from .selectors import seat_statuses, slot_availability_map

    slot = Slot.objects.filter(pk=slot_id).only("id", "seating", "capacity", "screen_id").first()
    if slot is None:
        return None
    version = Slot.objects.filter(pk=slot_id).values_list("seatmap_version", flat=True).get()
    seats: dict[str, str] = {}
    if slot.seating == Seating.RESERVED:
        statuses = seat_statuses(slot)
        seats = {
            str(pk): statuses.get(pk, "available")
            for pk in slot.screen.seats.values_list("id", flat=True)
        }
    return {
        "type": "snapshot",
        "version": version,
        "available": slot_availability_map({slot.pk: slot.capacity})[slot.pk],
        "seats": seats,
    }


class SlotSeatMapConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.slot_id = int(self.scope["url_route"]["kwargs"]["slot_id"])
        self.group = group_name(self.slot_id)
        self.tokens = float(BURST)
        self.refilled = time.monotonic()
        await self.accept()
        snapshot = await self._join_and_snapshot()
        if snapshot is None:
            await self.send_json({"type": "error", "code": "slot_not_found"})
            await self.close(code=CLOSE_UNKNOWN_SLOT)

    async def _join_and_snapshot(self) -> dict | None:
        await self.channel_layer.group_add(self.group, self.channel_name)
        snapshot = await load_snapshot(self.slot_id)
        if snapshot is None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            return None
        await self.send_json(snapshot)
        return snapshot

    async def disconnect(self, code):
        await self.channel_layer.group_discard(self.group, self.channel_name)

    def _allow_message(self) -> bool:
        now = time.monotonic()
        self.tokens = min(BURST, self.tokens + (now - self.refilled) * MESSAGES_PER_SECOND)
        self.refilled = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    async def receive(self, text_data=None, bytes_data=None):
        if not self._allow_message():
            await self.close(code=CLOSE_TOO_MANY_MESSAGES)
            return
        raw = text_data if text_data is not None else (bytes_data or b"").decode("utf-8", "replace")
        if len(raw) > MAX_MESSAGE_BYTES:
            await self.close(code=CLOSE_TOO_BIG)
            return
        try:
            message = json.loads(raw)
        except ValueError:
            await self.send_error("invalid_json", 'Send JSON, e.g. {"type": "resync"}.')
            return
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "resync":
            await self._resync()
        elif kind == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.send_error("unknown_type", "Known types: resync, ping.")

    async def _resync(self):
        snapshot = await load_snapshot(self.slot_id)
        if snapshot is None:
            await self.close(code=CLOSE_UNKNOWN_SLOT)
            return
        await self.send_json(snapshot)

    async def send_error(self, code: str, message: str):
        await self.send_json({"type": "error", "code": code, "message": message})

    async def send_json(self, content: dict):
        await self.send(text_data=json.dumps(content, separators=(",", ":")))

    async def seatmap_update(self, event):
        await self.send_json(
            {
                "type": "update",
                "version": event["version"],
                "available": event["available"],
                "changes": event["changes"],
            }
        )
