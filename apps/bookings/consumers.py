"""WebSockets of the booking engine: the live seat map and a user's personal events.

`/ws/slots/<id>/` (anonymous allowed; the origin is checked in `venue.asgi`):

- on connect `{"type": "snapshot", "version", "available", "seats"}`;
- then `{"type": "update", "version", "available", "changes", "sent_at"}` per
  committed change, versions rising by one per change (`sent_at` is
  when the server sent it, Unix seconds, for measuring latency);
- `{"type": "resync"}` answers a fresh snapshot, `{"type": "ping"}` a pong;
- an organizer edit (times, status, layout) pushes a fresh snapshot unasked.

Version rules. The socket joins the slot's group *before* it reads the
snapshot, and the snapshot reads the version *before* the statuses. So every
change with a version above the snapshot's reaches the socket as an update,
and every change with a version not above it is already in the statuses: the
consumer drops such updates, and clients should drop them too. A client keeps
the last version it applied; an update with version > last + 1 means one was
lost (the channel layer delivers at most once): send `{"type": "resync"}`.
Updates go out in version order: changes made at once in different processes
reach the channel layer in any order, so one that arrives early waits (up to
`REORDER_WAIT`) for those below it. A snapshot replaces the whole view. A
client that reconnects gets a snapshot and carries on. A lost last update (no
later one shows the gap) is repaired by the server: `versionwatch` sends the
socket a fresh snapshot.

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

import asyncio
import functools
import json
import logging
import time

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from django.db import DatabaseError

from apps.accounts.websocket import user_from_scope
from apps.core.metrics import ConnectionMetricsMixin

from .realtime import group_name, user_group_name
from .versionwatch import VersionWatch

logger = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 1024
REORDER_WAIT = 0.5  # seconds an early update waits for the ones before it
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

    async def __call__(self, scope, receive, send):
        """Channels' consumer loop, without its per-message task and `asyncio.wait`.

        `AsyncConsumer.__call__` waits on the socket and the channel layer with a
        fresh task and an `asyncio.wait` for every message; a seat-map update
        fanned out to thousands of sockets pays that thousands of times. Here each
        source has one long-lived task for the socket's lifetime. The two run
        concurrently (a snapshot read for a resync overlaps updates arriving:
        `SlotSeatMapConsumer` holds updates back while it reads one).
        """
        self.scope = scope
        self.base_send = send
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        sources = [receive]
        if self.channel_layer is not None:
            self.channel_name = await self.channel_layer.new_channel()
            self.channel_receive = functools.partial(self.channel_layer.receive, self.channel_name)
            sources.append(self.channel_receive)
        pumps = [asyncio.ensure_future(self._pump(source)) for source in sources]
        try:
            done, _ = await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
            for pump in done:
                pump.result()  # StopConsumer when the socket closed; a handler's error
        except StopConsumer:
            pass
        finally:
            for pump in pumps:
                pump.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)

    async def _pump(self, source):
        while True:
            await self.dispatch(await source())

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

    async def signed_in_user(self):
        """The user the socket's credentials prove (cookie or Bearer); None, with the
        error sent and the socket closed with 4401, if they prove nobody."""
        user = await user_from_scope(self.scope)
        if user is None:
            await self.send_error("not_authenticated", "Log in, or send a Bearer access token.")
            await self.close(code=CLOSE_UNAUTHENTICATED)
        return user

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
        self.sent_version = 0  # the highest version sent, in an update or a snapshot
        self.pending: dict[int, tuple[str, float]] = {}  # early updates: version -> (text, arrived)
        self.watch = None  # the process's VersionWatch, once the first snapshot is sent
        # Snapshot reads in progress: updates wait in `pending` meanwhile (the
        # channel layer's messages are handled concurrently with the socket's).
        # The first snapshot counts from the start: nothing goes out before it.
        self.reading = 1
        await self.accept()
        if self.slot_id > MAX_ID:
            await self._unknown_slot()
            return
        await self.channel_layer.group_add(self.group, self.channel_name)
        sent = await self._send_snapshot()
        self.reading -= 1
        if not sent:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            return
        await self._flush()
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
            self.reading += 1
            try:
                snapshot = await load_snapshot(self.slot_id)
            except DatabaseError:
                logger.warning("Seat-map snapshot failed", exc_info=True)
                await self.close(code=CLOSE_TRY_AGAIN_LATER)
                return False
            finally:
                self.reading -= 1
        if snapshot is None:
            await self._unknown_slot()
            return False
        if snapshot["version"] < self.sent_version:
            # Updates are held back during a read, so only a snapshot given meanwhile
            # (an organizer edit, a repair) can be newer: the client has that one.
            return True
        self.sent_version = snapshot["version"]
        await self.send_json(snapshot)
        await self._flush()  # drops the early updates it contains, sends any that follow on
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
        version = event["version"]
        if version <= self.sent_version or version in self.pending:
            return  # sent already, or in a snapshot this socket got
        # The text is the update serialised once by the publisher.
        self.pending[version] = (event["text"], time.monotonic())
        await self._flush()

    async def _flush(self):
        """Send the early updates that now follow on, in version order.

        Changes made at once in different processes reach the channel layer in
        any order, so an update may arrive before the one just below it. It waits
        here (`REORDER_WAIT` at most) instead of showing the client a gap that is
        no gap; once the oldest has waited that long, the one before it is
        deemed lost and the waiting ones go out, so the client sees the gap and
        resyncs. Nothing more arriving is the version check's case. Nothing goes
        out while a snapshot is being read: it is sent first, and then only what
        it does not contain.
        """
        now = time.monotonic()
        while self.pending:
            version = min(self.pending)
            text, arrived = self.pending[version]
            if version <= self.sent_version:
                del self.pending[version]  # a snapshot sent meanwhile contains it
                continue
            if self.reading or (version > self.sent_version + 1 and now - arrived < REORDER_WAIT):
                return
            del self.pending[version]
            self.sent_version = version
            await self.send(text_data=text)

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
        user = await self.signed_in_user()
        if user is None:
            return
        self.group = user_group_name(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send_json({"type": "hello", "user": user.pk})

    async def disconnect(self, code):
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def user_event(self, event):
        await self.send_json(event["event"])
