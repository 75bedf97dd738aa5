"""Seat-map versions and their fan-out to WebSocket watchers of a slot.

Every committed change bumps the slot's `seatmap_version` by one (in its own
short transaction, after the change committed, so the bump never holds a lock
while buyers of other seats work) and sends the changed seats to the group
`slot.<id>` on the channel layer (Redis with REDIS_URL, so every server process
reaches its own watchers). Delivery is at most once: the versions let a client
see a gap and ask for a fresh snapshot.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection

from apps.scheduling.models import Slot

logger = logging.getLogger(__name__)


def group_name(slot_id: int) -> str:
    return f"slot.{slot_id}"


def bump_version(slot_id: int) -> tuple[int, int]:
    """Add one to the slot's seat-map version in one autocommit statement.

    Return (version, capacity)."""
    table = Slot._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET seatmap_version = seatmap_version + 1"  # noqa: S608 - no input
            " WHERE id = %s RETURNING seatmap_version, capacity",
            [slot_id],
        )
        return cursor.fetchone()


def publish(slot_id: int, changes: dict[int, str]) -> int | None:
    """Record one change of a slot's seat map and tell every watcher; return the version."""
    from .selectors import slot_availability_map

    try:
        version, capacity = bump_version(slot_id)
        message = {
            "type": "seatmap.update",
            "version": version,
            "available": slot_availability_map({slot_id: capacity})[slot_id],
            "changes": {str(seat_id): status for seat_id, status in changes.items()},
        }
    except Exception:
        logger.exception("Could not record a seat-map change", extra={"slot_id": slot_id})
        return None
    layer = get_channel_layer()
    if layer is not None:
        try:
            async_to_sync(layer.group_send)(group_name(slot_id), message)
        except Exception:  # the channel layer (Redis) is down: watchers resync later
            logger.warning("Seat-map broadcast failed", extra={"slot_id": slot_id}, exc_info=True)
    return version
