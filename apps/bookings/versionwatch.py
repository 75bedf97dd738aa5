"""Repair of lost seat-map updates, without waiting for the next change.

The channel layer delivers at most once. A watcher that misses an update sees
the gap at the next one (its version jumps) and resyncs; but if the lost update
was the *last* change for a while, nothing would tell it. So each server
process checks, every `VENUE_SEATMAP_CHECK_SECONDS` (default 5; 0 turns it
off), the versions of the slots its sockets watch, in one query, straight from
the database rather than through the channel layer that lost the message. A
socket whose last sent version is below the version read at the *previous*
check (so the update has had a whole interval to arrive) gets a fresh snapshot,
read once per slot however many sockets lag. A slot that is gone closes its
sockets with 4404, as `publish_gone` would have.

One `VersionWatch` per event loop (a server process has one; tests have one per
test); its task runs only while the loop has seat-map sockets.
"""

import asyncio
import logging
import weakref
from typing import TYPE_CHECKING

from channels.db import database_sync_to_async
from django.conf import settings

from apps.core.metrics import seatmap_repairs
from apps.scheduling.models import Slot

if TYPE_CHECKING:
    from .consumers import SlotSeatMapConsumer

logger = logging.getLogger(__name__)

_by_loop: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, VersionWatch]" = (
    weakref.WeakKeyDictionary()
)


@database_sync_to_async
def read_versions(slot_ids: list[int]) -> dict[int, int]:
    return dict(Slot.objects.filter(pk__in=slot_ids).values_list("id", "seatmap_version"))


class VersionWatch:
    def __init__(self, interval: float):
        self.interval = interval
        self.sockets: dict[int, set[SlotSeatMapConsumer]] = {}
        self.seen: dict[int, int] = {}  # versions read at the previous check
        self.task: asyncio.Task | None = None

    @classmethod
    def for_running_loop(cls) -> "VersionWatch":
        loop = asyncio.get_running_loop()
        watch = _by_loop.get(loop)
        if watch is None:
            watch = _by_loop[loop] = cls(float(settings.VENUE_SEATMAP_CHECK_SECONDS))
        return watch

    def add(self, consumer: "SlotSeatMapConsumer") -> None:
        self.sockets.setdefault(consumer.slot_id, set()).add(consumer)
        if self.interval > 0 and self.task is None:
            self.task = asyncio.get_running_loop().create_task(self._run())

    def discard(self, consumer: "SlotSeatMapConsumer") -> None:
        sockets = self.sockets.get(consumer.slot_id)
        if sockets is None:
            return
        sockets.discard(consumer)
        if not sockets:
            del self.sockets[consumer.slot_id]
            self.seen.pop(consumer.slot_id, None)
        if not self.sockets and self.task is not None:
            self.task.cancel()
            self.task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.check()
            except Exception:  # the database is down: try again next time
                logger.warning("Seat-map version check failed", exc_info=True)

    async def check(self) -> int:
        """One check of every watched slot; return how many sockets got a fresh snapshot."""
        from .consumers import load_snapshot

        slot_ids = sorted(self.sockets)
        if not slot_ids:
            return 0
        versions = await read_versions(slot_ids)
        repaired = 0
        for slot_id in slot_ids:
            sockets = list(self.sockets.get(slot_id, ()))
            if slot_id not in versions:
                for consumer in sockets:
                    await consumer.seatmap_gone({})
                continue
            seen = self.seen.get(slot_id)
            lagging = [c for c in sockets if seen is not None and c.sent_version < seen]
            if not lagging:
                continue
            snapshot = await load_snapshot(slot_id)
            if snapshot is None:
                continue  # deleted since the versions were read: the next check closes them
            for consumer in lagging:
                await consumer.repair(snapshot)
            repaired += len(lagging)
            seatmap_repairs.inc(len(lagging))
            logger.warning(
                "Seat-map update lost on its way; sent fresh snapshots",
                extra={"slot_id": slot_id, "sockets": len(lagging), "version": seen},
            )
        self.seen = {pk: versions[pk] for pk in slot_ids if pk in versions}
        return repaired
