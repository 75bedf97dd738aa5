"""The live seat map keeps in step when messages are lost, late or out of order: ordering,
resync, and the version check that repairs sockets nobody told."""

import asyncio

import pytest
from channels.layers import get_channel_layer

from apps.bookings import consumers, realtime, services
from apps.bookings.seatmap import SeatMapView
from apps.bookings.selectors import seatmap_snapshot
from apps.bookings.versionwatch import VersionWatch
from apps.core.metrics import seatmap_repairs
from apps.scheduling import services as scheduling

from .websocket import (
    _forget_worker_connections,  # noqa: F401  (autouse fixture)
    closed_with,
    db,
    receive,
    watch,
)

pytestmark = pytest.mark.django_db(transaction=True)


def drop_broadcasts(monkeypatch, kinds=("seatmap.update",), limit=None):
    """Lose channel-layer messages of these types on their way (the first `limit` of them,
    or all); return the lost ones."""
    real_send, lost = realtime._group_send, []

    def lossy(group, message):
        if message["type"] in kinds and (limit is None or len(lost) < limit):
            lost.append(message)
            return True  # "sent", and lost on the way
        return real_send(group, message)

    monkeypatch.setattr(realtime, "_group_send", lossy)
    return lost


async def test_a_lost_update_is_detected_and_resync_puts_the_view_right(
    customer, reserved_slot, seat_ids, monkeypatch
):
    """Channel layers deliver at most once: drop one broadcast and watch the client recover."""
    # A gap goes out at once (the wait for late updates is the next test's subject).
    monkeypatch.setattr(consumers, "REORDER_WAIT", 0)
    communicator = await watch(reserved_slot.pk)
    view = SeatMapView()
    view.apply(await receive(communicator))

    dropped = drop_broadcasts(monkeypatch, limit=1)
    await db(services.hold_create)(user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:2])
    await db(services.hold_create)(
        user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[4:5]
    )  # replaces the first hold: frees 0-1, holds 4
    assert len(dropped) == 1

    update = await receive(communicator)
    assert view.apply(update) == "gap"
    assert view.gaps == 1
    await communicator.send_json_to({"type": "resync"})
    # Updates already on their way may come before the answer.
    while (message := await receive(communicator))["type"] != "snapshot":
        assert view.apply(message) == "gap"
    assert view.apply(message) == "applied"

    expected = await db(seatmap_snapshot)(reserved_slot.pk)
    assert view.seats == expected["seats"]
    assert view.version == expected["version"]
    assert view.seats[str(seat_ids[4])] == "held"
    await communicator.disconnect()


def fake_update(version: int) -> dict:
    """A seat-map update as the publisher puts it on the channel layer (changes left out)."""
    text = f'{{"type":"update","version":{version}}}'
    return {"type": "seatmap.update", "version": version, "text": text}


async def test_updates_arriving_out_of_order_go_out_in_order(reserved_slot):
    """Changes made at once in two processes may reach the channel layer in either order."""
    communicator = await watch(reserved_slot.pk)
    version = (await receive(communicator))["version"]
    layer = get_channel_layer()
    group = realtime.group_name(reserved_slot.pk)

    await layer.group_send(group, fake_update(version + 2))
    await layer.group_send(group, fake_update(version + 3))
    assert await communicator.receive_nothing(timeout=0.1)  # waiting for version + 1
    await layer.group_send(group, fake_update(version + 1))
    received = [(await receive(communicator))["version"] for _ in range(3)]
    assert received == [version + 1, version + 2, version + 3]
    await layer.group_send(group, fake_update(version + 2))  # a duplicate: dropped
    assert await communicator.receive_nothing(timeout=0.1)
    await communicator.disconnect()


async def test_an_update_waits_for_a_lost_one_only_so_long(reserved_slot, monkeypatch):
    """Once the oldest early update has waited REORDER_WAIT, the next arrival sends it on."""
    monkeypatch.setattr(consumers, "REORDER_WAIT", 0.05)
    communicator = await watch(reserved_slot.pk)
    version = (await receive(communicator))["version"]
    layer = get_channel_layer()
    group = realtime.group_name(reserved_slot.pk)

    await layer.group_send(group, fake_update(version + 2))  # version + 1 is lost
    # Held back (the margin over REORDER_WAIT covers the channel layer's delivery).
    assert await communicator.receive_nothing(timeout=0.5)
    await layer.group_send(group, fake_update(version + 3))
    received = [(await receive(communicator))["version"] for _ in range(2)]
    assert received == [version + 2, version + 3]
    await communicator.disconnect()


async def test_updates_the_snapshot_already_contains_are_not_sent(reserved_slot):
    communicator = await watch(reserved_slot.pk)
    snapshot = await receive(communicator)
    layer = get_channel_layer()
    stale = {"type": "seatmap.update", "version": snapshot["version"], "text": "{}"}
    await layer.group_send(realtime.group_name(reserved_slot.pk), stale)
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_updates_reach_sockets_without_a_thread_hop_each(
    customer, reserved_slot, seat_ids, monkeypatch
):
    """Channels' default dispatch runs close_old_connections() in a thread before every
    message; fanning one update out to thousands of sockets must not (bench/ws.py)."""

    async def forbidden():
        raise AssertionError("a thread hop per delivered message")

    monkeypatch.setattr("channels.consumer.aclose_old_connections", forbidden)
    communicator = await watch(reserved_slot.pk)
    snapshot = await receive(communicator)
    await db(services.hold_create)(user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:1])
    assert (await receive(communicator))["version"] == snapshot["version"] + 1
    await communicator.send_json_to({"type": "ping"})
    assert await receive(communicator) == {"type": "pong"}
    await communicator.disconnect()


async def test_a_lost_last_update_is_repaired_by_the_version_check(
    customer, reserved_slot, seat_ids, monkeypatch
):
    """No later update reveals the gap: the per-process check compares versions itself."""
    communicator = await watch(reserved_slot.pk)
    await receive(communicator)
    lost = drop_broadcasts(monkeypatch)
    await db(services.hold_create)(user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:2])
    assert len(lost) == 1
    check = VersionWatch.for_running_loop()
    repairs = seatmap_repairs._value.get()
    # The first check only notes the version: an update gets a whole interval to arrive.
    assert await check.check() == 0
    assert await communicator.receive_nothing(timeout=0.1)
    assert await check.check() == 1
    snapshot = await receive(communicator)
    assert snapshot["type"] == "snapshot"
    assert snapshot["version"] == lost[0]["version"]
    assert snapshot["seats"][str(seat_ids[0])] == "held"
    assert seatmap_repairs._value.get() == repairs + 1
    assert await check.check() == 0  # in step again
    await communicator.disconnect()


async def test_the_version_check_leaves_sockets_in_step_alone(customer, reserved_slot, seat_ids):
    communicator = await watch(reserved_slot.pk)
    await receive(communicator)
    check = VersionWatch.for_running_loop()
    await check.check()
    await db(services.hold_create)(user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:1])
    assert (await receive(communicator))["type"] == "update"
    assert await check.check() == 0
    assert await check.check() == 0
    assert await communicator.receive_nothing(timeout=0.1)
    await communicator.disconnect()
    assert check.sockets == {} and check.task is None


async def test_the_version_check_closes_sockets_of_a_slot_deleted_unheard(
    reserved_slot, monkeypatch
):
    communicator = await watch(reserved_slot.pk)
    await receive(communicator)
    drop_broadcasts(monkeypatch, kinds=("seatmap.gone",))
    await db(scheduling.slot_delete)(slot=reserved_slot)
    assert await communicator.receive_nothing(timeout=0.1)
    await VersionWatch.for_running_loop().check()
    assert (await receive(communicator))["code"] == "slot_not_found"
    assert await closed_with(communicator) == consumers.CLOSE_UNKNOWN_SLOT


async def test_the_version_check_runs_by_itself(
    customer, reserved_slot, seat_ids, monkeypatch, settings
):
    settings.VENUE_SEATMAP_CHECK_SECONDS = 0.05
    communicator = await watch(reserved_slot.pk)
    first = await receive(communicator)
    assert VersionWatch.for_running_loop().task is not None
    drop_broadcasts(monkeypatch)
    await db(services.hold_create)(user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:1])
    snapshot = await receive(communicator)  # within WAIT, from the check's own task
    assert (snapshot["type"], snapshot["version"]) == ("snapshot", first["version"] + 1)
    await communicator.disconnect()
    assert VersionWatch.for_running_loop().task is None


async def test_updates_wait_while_a_resync_snapshot_is_read(reserved_slot, monkeypatch):
    """The socket's messages and the channel layer's are handled concurrently: an update
    arriving during a resync's read goes out after the snapshot, or not at all if in it."""
    communicator = await watch(reserved_slot.pk)
    version = (await receive(communicator))["version"]
    real_load, release = consumers.load_snapshot, asyncio.Event()

    async def slow_load(slot_id):
        snapshot = await real_load(slot_id)
        await release.wait()
        return snapshot

    monkeypatch.setattr(consumers, "load_snapshot", slow_load)
    await communicator.send_json_to({"type": "resync"})
    layer, group = get_channel_layer(), realtime.group_name(reserved_slot.pk)
    for n in (version, version + 1):  # one the snapshot contains, one it does not
        text = f'{{"type":"update","version":{n}}}'
        await layer.group_send(group, {"type": "seatmap.update", "version": n, "text": text})
    assert await communicator.receive_nothing(timeout=0.2)
    release.set()
    assert (await receive(communicator))["type"] == "snapshot"
    assert (await receive(communicator))["version"] == version + 1
    assert await communicator.receive_nothing(timeout=0.1)
    await communicator.disconnect()
