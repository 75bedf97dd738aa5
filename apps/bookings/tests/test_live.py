"""The live seat map `/ws/slots/<id>/` over the settings' channel layer (in-memory or Redis)."""

import asyncio
from datetime import timedelta

import pytest
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from apps.bookings import consumers, realtime, services
from apps.bookings.models import Booking, Hold, SeatClaim
from apps.bookings.seatmap import SeatMapView
from apps.bookings.selectors import seatmap_snapshot
from apps.bookings.versionwatch import VersionWatch
from apps.catalog import services as catalog
from apps.catalog.tests.fixtures import grid
from apps.core.metrics import seatmap_repairs, websocket_connections, websocket_connections_open
from apps.scheduling import services as scheduling
from apps.scheduling.models import Slot
from venue.asgi import application

from .websocket import _forget_worker_connections, db  # noqa: F401  (autouse fixture)

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = [(b"origin", b"http://localhost")]
WAIT = 5  # seconds; generous for slow machines, never reached when things work


async def watch(slot_id, headers=ORIGIN):
    communicator = WebsocketCommunicator(application, f"/ws/slots/{slot_id}/", headers=headers)
    connected, _ = await communicator.connect(timeout=WAIT)
    assert connected
    return communicator


async def receive(communicator):
    return await communicator.receive_json_from(timeout=WAIT)


async def closed_with(communicator) -> int:
    """The close code the server sent, skipping any messages before it."""
    for _ in range(50):
        output = await communicator.receive_output(timeout=WAIT)
        if output["type"] == "websocket.close":
            return output.get("code")
    raise AssertionError("the socket was not closed")


def expire(hold):
    past = timezone.now() - timedelta(seconds=1)
    Hold.objects.filter(pk=hold.pk).update(expires_at=past)
    SeatClaim.objects.filter(hold=hold).update(expires_at=past)


async def test_snapshot_on_connect(customer, reserved_slot, seat_ids):
    await db(services.hold_create)(user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:2])
    version = await db(lambda: Slot.objects.get(pk=reserved_slot.pk).seatmap_version)()
    communicator = await watch(reserved_slot.pk)
    snapshot = await receive(communicator)
    assert snapshot["type"] == "snapshot"
    assert snapshot["version"] == version
    assert snapshot["available"] == 18
    assert set(snapshot["seats"]) == {str(pk) for pk in seat_ids}
    assert snapshot["seats"][str(seat_ids[0])] == "held"
    assert snapshot["seats"][str(seat_ids[2])] == "available"
    await communicator.disconnect()


async def test_general_admission_snapshot_and_update(customer, general_slot):
    communicator = await watch(general_slot.pk)
    snapshot = await receive(communicator)
    assert (snapshot["seats"], snapshot["available"]) == ({}, 30)
    await db(services.hold_create)(user=customer, slot_id=general_slot.pk, quantity=4)
    update = await receive(communicator)
    assert update["type"] == "update"
    assert (update["version"], update["available"], update["changes"]) == (
        snapshot["version"] + 1,
        26,
        {},
    )
    await communicator.disconnect()


async def test_an_update_after_every_kind_of_change(customer, organizer, reserved_slot, seat_ids):
    """Hold, release, waitlist offer, confirm, cancel, expiry: versions rise by one each."""
    communicator = await watch(reserved_slot.pk)
    view = SeatMapView()
    assert view.apply(await receive(communicator)) == "applied"
    a, b, c = (str(pk) for pk in seat_ids[:3])

    async def next_update(expected_changes, available):
        message = await receive(communicator)
        assert message["type"] == "update"
        assert message["changes"] == expected_changes
        assert message["available"] == available
        assert isinstance(message["sent_at"], float)
        assert view.apply(message) == "applied", (message, view.version)

    hold = await db(services.hold_create)(
        user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:2]
    )
    await next_update({a: "held", b: "held"}, 18)

    await db(services.hold_release)(user=customer, hold_id=hold.pk)
    await next_update({a: "available", b: "available"}, 20)

    # A waitlist offer is a hold made in the user's name through the same service.
    offer = await db(services.hold_create)(
        user=organizer, slot_id=reserved_slot.pk, seat_ids=seat_ids[2:3], kind=Hold.Kind.OFFER
    )
    await next_update({c: "held"}, 19)

    outcome = await db(services.booking_confirm)(
        user=organizer, hold_id=offer.pk, method="test", token="ok", key="k-1", fingerprint="f"
    )
    assert outcome.status == 201
    await next_update({c: "booked"}, 19)

    await db(services.booking_cancel)(booking_id=outcome.body["id"], user=organizer)
    await next_update({c: "available"}, 20)

    lapsing = await db(services.hold_create)(
        user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:1]
    )
    await next_update({a: "held"}, 19)
    await db(expire)(lapsing)
    assert await db(services.holds_expire)() == 1
    await next_update({a: "available"}, 20)

    final = await db(lambda: Slot.objects.get(pk=reserved_slot.pk).seatmap_version)()
    assert view.version == final and view.gaps == 0
    assert await db(lambda: Booking.objects.get().status)() == "cancelled"
    await communicator.disconnect()


async def test_organizer_edits_push_a_fresh_snapshot(reserved_slot, seat_ids):
    communicator = await watch(reserved_slot.pk)
    first = await receive(communicator)

    await db(scheduling.slot_update)(
        slot=reserved_slot, starts_at=reserved_slot.starts_at + timedelta(hours=1)
    )
    moved = await receive(communicator)
    assert moved["type"] == "snapshot"
    assert moved["version"] == first["version"] + 1
    assert moved["seats"] == first["seats"]

    # A layout change (a fifth row) follows into the slot and reaches its watchers.
    await db(catalog.screen_layout_replace)(
        screen=reserved_slot.screen, rows=grid("ABCDE", 5, premium_rows="D")
    )
    grown = await receive(communicator)
    assert grown["type"] == "snapshot"
    assert grown["version"] > moved["version"]
    assert len(grown["seats"]) == 25 and grown["available"] == 25

    await db(scheduling.slot_update)(slot=reserved_slot, status="cancelled")
    cancelled = await receive(communicator)
    assert cancelled["type"] == "snapshot" and cancelled["version"] > grown["version"]
    await communicator.disconnect()


async def test_a_deleted_slot_closes_its_watchers(reserved_slot):
    communicator = await watch(reserved_slot.pk)
    await receive(communicator)
    await db(scheduling.slot_delete)(slot=reserved_slot)
    error = await receive(communicator)
    assert error["code"] == "slot_not_found"
    assert await closed_with(communicator) == consumers.CLOSE_UNKNOWN_SLOT


async def test_resync_answers_a_fresh_snapshot(customer, reserved_slot, seat_ids):
    communicator = await watch(reserved_slot.pk)
    first = await receive(communicator)
    await communicator.send_json_to({"type": "resync"})
    again = await receive(communicator)
    assert again == first
    await communicator.disconnect()


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


@pytest.mark.parametrize("path", ["/ws/slots/999999/", f"/ws/slots/{2**64}/"])
async def test_unknown_slot_is_closed_with_4404(path):
    communicator = WebsocketCommunicator(application, path, headers=ORIGIN)
    connected, _ = await communicator.connect(timeout=WAIT)
    assert connected
    error = await receive(communicator)
    assert error == {"type": "error", "code": "slot_not_found", "message": "No such showtime."}
    assert await closed_with(communicator) == 4404


@pytest.mark.parametrize(
    "origin", [b"https://evil.test", b"http://localhost.evil.test", b"null", b"\xff\xfe"]
)
async def test_a_foreign_or_unreadable_origin_is_refused(reserved_slot, origin):
    communicator = WebsocketCommunicator(
        application, f"/ws/slots/{reserved_slot.pk}/", headers=[(b"origin", origin)]
    )
    connected, _ = await communicator.connect(timeout=WAIT)
    assert not connected


async def test_a_program_without_origin_watches_the_seat_map(reserved_slot):
    """A mobile app or a script sends no Origin: anonymous watching is allowed (docs/api.md)."""
    communicator = await watch(reserved_slot.pk, headers=[])
    snapshot = await receive(communicator)
    assert snapshot["type"] == "snapshot"
    await communicator.disconnect()


async def test_junk_gets_an_error_and_the_socket_stays_up(reserved_slot):
    communicator = await watch(reserved_slot.pk)
    await receive(communicator)
    for junk, code in [
        ("not json", "invalid_json"),
        ("[1, 2]", "unknown_type"),
        ('{"type": "subscribe"}', "unknown_type"),
        ('{"no": "type"}', "unknown_type"),
        ('"resync"', "unknown_type"),
    ]:
        await communicator.send_to(text_data=junk)
        assert (await receive(communicator))["code"] == code
    await communicator.send_to(bytes_data=b"\xff\xfe not utf-8")
    assert (await receive(communicator))["code"] == "invalid_json"
    await communicator.send_to(bytes_data=b'{"type": "ping"}')
    assert await receive(communicator) == {"type": "pong"}
    await communicator.send_json_to({"type": "resync"})
    assert (await receive(communicator))["type"] == "snapshot"
    await communicator.disconnect()


async def test_an_oversized_frame_closes_the_socket(reserved_slot):
    communicator = await watch(reserved_slot.pk)
    await receive(communicator)
    await communicator.send_to(text_data='{"type": "resync", "pad": "' + "x" * 2000 + '"}')
    assert await closed_with(communicator) == consumers.CLOSE_TOO_BIG


async def test_a_flood_closes_the_socket_with_4429(reserved_slot):
    communicator = await watch(reserved_slot.pk)
    await receive(communicator)
    for _ in range(consumers.BURST * 3):
        await communicator.send_json_to({"type": "ping"})
    pongs = 0
    for _ in range(consumers.BURST * 3 + 1):
        output = await communicator.receive_output(timeout=WAIT)
        if output["type"] == "websocket.close":
            break
        pongs += 1
    assert output == {"type": "websocket.close", "code": consumers.CLOSE_TOO_MANY_MESSAGES}
    # The bucket lets a burst through (plus what refilled meanwhile), never the whole flood.
    assert consumers.BURST <= pongs < consumers.BURST * 3


async def test_watchers_are_counted_in_the_metrics(reserved_slot):
    def sample(metric):
        return metric.labels("seatmap")._value.get()

    opened, total = sample(websocket_connections_open), sample(websocket_connections)
    communicator = await watch(reserved_slot.pk)
    await receive(communicator)
    assert sample(websocket_connections_open) == opened + 1
    assert sample(websocket_connections) == total + 1
    await communicator.disconnect()
    assert sample(websocket_connections_open) == opened


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
