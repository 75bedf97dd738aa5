"""Broadcasting from sync code (apps.bookings.realtime): one sender loop, bounded waits."""

import asyncio
import os
import threading

from apps.bookings import realtime


class SlowLayer:
    """A channel layer whose Redis never answers."""

    async def group_send(self, group, message):
        await asyncio.sleep(30)


class RecordingLayer:
    def __init__(self):
        self.sent, self.threads = [], set()

    async def group_send(self, group, message):
        self.sent.append((group, message))
        self.threads.add(threading.current_thread().name)


def test_a_hung_channel_layer_costs_a_bounded_wait_not_a_failed_request(monkeypatch, caplog):
    monkeypatch.setattr(realtime, "get_channel_layer", SlowLayer)
    monkeypatch.setattr(realtime, "SEND_TIMEOUT", 0.05)
    assert realtime._group_send("slot.1", {"type": "seatmap.update"}) is False
    assert "Broadcast failed" in caplog.text


def test_broadcasts_from_sync_code_share_one_loop_in_order(monkeypatch):
    layer = RecordingLayer()
    monkeypatch.setattr(realtime, "get_channel_layer", lambda: layer)
    for n in range(5):
        assert realtime._group_send("slot.1", {"type": "seatmap.update", "version": n})
    assert [message["version"] for _, message in layer.sent] == [0, 1, 2, 3, 4]
    assert layer.threads == {"venue-channel-layer"}


def test_a_forked_process_starts_its_own_sender_loop(monkeypatch):
    sender = realtime._SenderLoop()

    async def where():
        return asyncio.get_running_loop()

    first = sender.run(where(), 1)
    assert sender.run(where(), 1) is first
    monkeypatch.setattr(os, "getpid", lambda: -1)  # as in a gunicorn worker after fork
    assert sender.run(where(), 1) is not first
