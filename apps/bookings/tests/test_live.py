"""The live seat map `/ws/slots/<id>/` over the settings' channel layer (in-memory or Redis)."""

from datetime import timedelta

import pytest
from channels.testing import WebsocketCommunicator

from apps.bookings import consumers, services
from apps.bookings.models import Booking, Hold
from apps.bookings.seatmap import SeatMapView
from apps.catalog import services as catalog
from apps.core.metrics import websocket_connections, websocket_connections_open
from apps.scheduling import services as scheduling
from apps.scheduling.models import Slot
from tests.support.booking import pay
from tests.support.fixtures import grid
from venue.asgi import application

from .websocket import (  # noqa: F401  (_forget_worker_connections: autouse fixture)
    ORIGIN,
    WAIT,
    _forget_worker_connections,
    closed_with,
    db,
    expire,
    receive,
    watch,
)

pytestmark = pytest.mark.django_db(transaction=True)


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

    outcome = await db(pay)(organizer, offer.pk)
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
