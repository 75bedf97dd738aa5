"""The door's live count: `/ws/checkin/<slot id>/`, for the staff of that showtime.

Authenticated like `/ws/me/` (the access cookie, or `Authorization: Bearer` for
programs): without valid credentials the socket closes with 4401; a user whose
`selectors.staff_slots` does not hold the showtime (a customer, another
organizer's team, an unknown showtime) gets 4403, so the socket never tells
whether a showtime exists. On connect, and after every committed change of the
door's figures (an admission, an exit, a double entry, a new window), the server
sends

    {"type": "checkin", "slot": id, "checked_in": n, "expected": n, "double_entries": n}

also when a booking of the showtime is confirmed or cancelled while the door is
watched (the expected count moved). When the window or the event's re-entry rule
changes it sends `{"type": "checkin_settings", "slot": id}`: a gate downloads its
offline list again, which carries them.

`{"type": "ping"}` is answered by `{"type": "pong"}`; the limits on what a client
sends are those of the seat map (`apps.bookings.consumers`). Delivery is at most
once: `GET /api/v1/slots/<id>/checkin/` stays the truth.
"""

import logging

from channels.db import database_sync_to_async
from django.core.cache import cache
from django.db import DatabaseError

from apps.bookings.consumers import (
    CLOSE_TRY_AGAIN_LATER,
    MAX_ID,
    _JsonConsumer,
)

from . import selectors

logger = logging.getLogger(__name__)

CLOSE_FORBIDDEN = 4403


# A connected socket (or a ping on it) marks its door watched for this long, so
# booking changes are recounted only for doors somebody has open.
WATCHED_SECONDS = 3600


def group_name(slot_id: int) -> str:
    return f"checkin.{slot_id}"


def _watched_key(slot_id: int) -> str:
    return f"checkin:watched:{slot_id}"


def watched(slot_id: int) -> bool:
    """Whether some socket watched this door within the last WATCHED_SECONDS."""
    return bool(cache.get(_watched_key(slot_id)))


async def _mark_watched(slot_id: int) -> None:
    try:
        await cache.aset(_watched_key(slot_id), 1, WATCHED_SECONDS)
    except Exception:  # the cache is down: booking changes are not pushed, scans still are
        logger.warning("Could not mark the door watched", exc_info=True)


def figures_message(figures: dict) -> dict:
    """What a socket gets: the counts of `selectors.checkin_figures`."""
    return {
        "type": "checkin",
        "slot": figures["slot"],
        "checked_in": figures["checked_in"],
        "expected": figures["expected"],
        "double_entries": figures["double_entries"],
    }


@database_sync_to_async
def door_figures(user, slot_id: int) -> dict | None:
    """The figures of a showtime whose door `user` works, or None if it works no such door."""
    slot = selectors.staff_slots(user).filter(pk=slot_id).first()
    return figures_message(selectors.checkin_figures(slot)) if slot is not None else None


class CheckinConsumer(_JsonConsumer):
    metrics_name = "checkin"

    async def connect(self):
        await super().connect()
        self.group = None
        self.reading = True  # the first figures are being read: broadcasts wait
        self.missed = False  # a broadcast came meanwhile: read again once sent
        slot_id = int(self.scope["url_route"]["kwargs"]["slot_id"])
        await self.accept()
        user = await self.signed_in_user()
        if user is None:
            return
        # Join first, then read: no change committed after the read is missed.
        group = group_name(slot_id)
        await self.channel_layer.group_add(group, self.channel_name)
        self.group = group
        self.slot_id = slot_id
        figures = await self._read(user, slot_id)
        if figures is None:
            return
        await self.send_json(figures)
        # A broadcast that came during the read may be older or newer than what it
        # read (figures carry no version): read once more so the last word is fresh.
        while self.missed:
            self.missed = False
            figures = await self._read(user, slot_id)
            if figures is None:
                return
            await self.send_json(figures)
        self.reading = False

    async def _read(self, user, slot_id: int) -> dict | None:
        """The door's figures; None (and the socket closed) if the user may not see them."""
        try:
            figures = await door_figures(user, slot_id) if slot_id <= MAX_ID else None
        except DatabaseError:
            logger.warning("Door figures failed", exc_info=True)
            await self._leave()
            await self.close(code=CLOSE_TRY_AGAIN_LATER)
            return None
        if figures is None:
            await self._leave()
            await self.send_error("forbidden", "Only the staff of this showtime see its door.")
            await self.close(code=CLOSE_FORBIDDEN)
        else:
            await _mark_watched(slot_id)
        return figures

    async def handle(self, kind):
        if kind == "ping" and self.group:
            await _mark_watched(self.slot_id)
        await super().handle(kind)

    async def _leave(self):
        if self.group:
            group, self.group = self.group, None
            await self.channel_layer.group_discard(group, self.channel_name)

    async def disconnect(self, code):
        await self._leave()

    # --- from the channel layer (apps.checkin.receivers)

    async def checkin_figures(self, event):
        if not self.group:
            return
        if self.reading:
            self.missed = True
            return
        await self.send_json(event["figures"])

    async def checkin_settings(self, event):
        if self.group:
            await self.send_json({"type": "checkin_settings", "slot": event["slot"]})
