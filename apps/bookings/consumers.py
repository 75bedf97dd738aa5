"""WebSockets of the booking engine: the live seat map and a user's personal events.

`/ws/slots/<id>/` (anonymous allowed; the origin is checked in `venue.asgi`):

- on connect `{"type": "snapshot", "version", "available", "seats"}`;
- then `{"type": "update", "version", "available", "changes", "sent_at"}` per
  committed change, versions rising by one per change (`sent_at` is an
  addition to API.md: when the server sent it, Unix seconds);
- `{"type": "resync"}` answers a fresh snapshot, `{"type": "ping"}` a pong;
- an organizer edit (times, status, layout) pushes a fresh snapshot unasked.

Version rules. The socket joins the slot's group *before* it reads the
snapshot, and the snapshot reads the version *before* the statuses. So every
change with a version above the snapshot's reaches the socket as an update,
and every change with a version not above it is already in the statuses: the
consumer drops such updates, and clients should drop them too. A client keeps
the last version it applied; an update with version > last + 1 means one was
lost (the channel layer delivers at most once): send `{"type": "resync"}`.
A snapshot replaces the whole view. A client that reconnects gets a snapshot
and carries on. A lost last update (no later one shows the gap) is repaired by
the server: `versionwatch` sends the socket a fresh snapshot.

Junk never crashes the socket: text that is not JSON, or JSON of an unknown
type, gets `{"type": "error", "code", "message"}`; a frame over
`MAX_MESSAGE_BYTES` closes with 1009; more than `BURST` messages at once (refilled
at `MESSAGES_PER_SECOND`) close with 4429; an unknown slot gets an error and
close code 4404.

`/ws/me/` (the access cookie, as for the API, or `Authorization: Bearer` for
programs; 4401 without a valid one): personal events of the user, sent after
commit: `hold_expiring`, `hold_expired`, `booking_confirmed`, and whatever
`realtime.notify_user` is given (the waitlist sends `waitlist_offer`).
"""

import json
import logging
import time

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.db import DatabaseError

from apps.accounts.websocket import user_from_scope
from apps.core.metrics import ConnectionMetricsMixin

from .realtime import group_name, user_group_name
from .versionwatch import VersionWatch

logger = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 1024
MESSAGES_PER_SECOND = 5
BURST = 20
CLOSE_TRY_AGAIN_LATER = 1013
CLOSE_TOO_BIG = 1009
CLOSE_UNAUTHENTICATED = 4401
CLOSE_UNKNOWN_SLOT = 4404
CLOSE_TOO_MANY_MESSAGES = 4429
MAX_ID = 2**63 - 1  # larger ids would overflow the database's bigint


@database_sync_to_async
def load_snapshot(slot_id: int) -> dict | None:
    from .selectors import seatmap_snapshot

    return seatmap_snapshot(slot_id)


class _JsonConsumer(ConnectionMetricsMixin, AsyncWebsocketConsumer):
    """Compact JSON out; a per-connection token bucket and a size cap on what comes in."""

    async def dispatch(self, message):
        """Call the message's handler straight away, without Channels' per-message thread hop.

        Channels 4.3 runs `close_old_connections()` in a worker thread before
        every handler. Here that doubles the cost of fanning one update out to
        thousands of sockets, for nothing: these handlers touch the database only
        through `database_sync_to_async`, which closes stale connections itself.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self):
        self.tokens = float(BURST)
        self.refilled = time.monotonic()

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
            await self.send_error("invalid_json", 'Send JSON, e.g. {"type": "ping"}.')
            return
        kind = message.get("type") if isinstance(message, dict) else None
        await self.handle(kind)

    async def handle(self, kind):
        if kind == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.send_error("unknown_type", "Known types: ping.")

    async def send_error(self, code: str, message: str):
        await self.send_json({"type": "error", "code": code, "message": message})

    async def send_json(self, content: dict):
        await self.send(text_data=json.dumps(content, separators=(",", ":")))


class SlotSeatMapConsumer(_JsonConsumer):
    metrics_name = "seatmap"

    async def connect(self):
        await super().connect()
        self.slot_id = int(self.scope["url_route"]["kwargs"]["slot_id"])
        self.group = group_name(self.slot_id)
        self.snapshot_version = 0  # of the last snapshot sent: updates up to it are in it
        self.sent_version = 0  # the highest version sent
        self.watch = None  # the process's VersionWatch, once the first snapshot is sent
        await self.accept()
        if self.slot_id > MAX_ID:
            await self._unknown_slot()
            return
        await self.channel_layer.group_add(self.group, self.channel_name)
        if not await self._send_snapshot():
            await self.channel_layer.group_discard(self.group, self.channel_name)
            return
        self.watch = VersionWatch.for_running_loop()
        self.watch.add(self)

    async def disconnect(self, code):
        if self.watch is not None:
            self.watch.discard(self)
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def repair(self, snapshot: dict):
        """An update never arrived (apps.bookings.versionwatch): send a fresh snapshot."""
        if snapshot["version"] > self.sent_version:
            await self._send_snapshot(snapshot)

    async def _send_snapshot(self, snapshot: dict | None = None) -> bool:
        """Send a snapshot (read now unless given); close the socket and return False if none."""
        if snapshot is None:
            try:
                snapshot = await load_snapshot(self.slot_id)
            except DatabaseError:
                logger.warning("Seat-map snapshot failed", exc_info=True)
                await self.close(code=CLOSE_TRY_AGAIN_LATER)
                return False
        if snapshot is None:
            await self._unknown_slot()
            return False
        self.snapshot_version = snapshot["version"]
        self.sent_version = max(self.sent_version, snapshot["version"])
        await self.send_json(snapshot)
        return True

    async def _unknown_slot(self):
        await self.send_error("slot_not_found", "No such showtime.")
        await self.close(code=CLOSE_UNKNOWN_SLOT)

    async def handle(self, kind):
        if kind == "resync":
            await self._send_snapshot()
        elif kind == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.send_error("unknown_type", "Known types: resync, ping.")

    # --- from the channel layer (apps.bookings.realtime)

    async def seatmap_update(self, event):
        if event["version"] <= self.snapshot_version:
            return  # the snapshot this socket got already contains it
        self.sent_version = max(self.sent_version, event["version"])
        await self.send(text_data=event["text"])  # the update, serialised once by the publisher

    async def seatmap_snapshot(self, event):
        if event["snapshot"]["version"] < self.sent_version:
            # Overtaken by updates this socket already sent: read a current one instead.
            await self._send_snapshot()
        else:
            await self._send_snapshot(event["snapshot"])

    async def seatmap_gone(self, event):
        await self._unknown_slot()


class UserEventsConsumer(_JsonConsumer):
    metrics_name = "me"

    async def connect(self):
        await super().connect()
        self.group = None
        await self.accept()
        user = await user_from_scope(self.scope)
        if user is None:
            await self.send_error("not_authenticated", "Log in, or send a Bearer access token.")
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.group = user_group_name(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send_json({"type": "hello", "user": user.pk})

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def user_event(self, event):
        await self.send_json(event["event"])
