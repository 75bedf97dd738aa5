"""The door's live count `/ws/checkin/<id>/`: who may watch it, and a push after every change."""

from datetime import timedelta

import pytest
from channels.testing import WebsocketCommunicator
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from apps.accounts.cookies import access_cookie_name
from apps.accounts.models import TeamMember
from apps.bookings.consumers import CLOSE_UNAUTHENTICATED
from apps.bookings.tests.websocket import (  # noqa: F401  (autouse fixture)
    ORIGIN,
    WAIT,
    _forget_worker_connections,
    closed_with,
    db,
    receive,
)
from apps.bookings.tickets import qr_text
from apps.checkin import consumers, events, receivers, selectors, services
from apps.checkin.models import Scan
from tests.support.booking import book
from tests.support.fixtures import make_user
from venue.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


def _cookie(user):
    return (b"cookie", f"{access_cookie_name()}={AccessToken.for_user(user)}".encode())


def _bearer(user):
    return (b"authorization", f"Bearer {AccessToken.for_user(user)}".encode())


async def door(slot_id, *headers):
    communicator = WebsocketCommunicator(
        application, f"/ws/checkin/{slot_id}/", headers=[*ORIGIN, *headers]
    )
    connected, _ = await communicator.connect(timeout=WAIT)
    assert connected
    return communicator


def figures(slot, checked_in, expected, double_entries=0):
    return {
        "type": "checkin",
        "slot": slot.pk,
        "checked_in": checked_in,
        "expected": expected,
        "double_entries": double_entries,
    }


@pytest.fixture
def codes(customer, door_open, seat_ids):
    booking = book(customer, door_open.pk, seat_ids=seat_ids[:2])
    return [qr_text(t) for t in booking.tickets.order_by("number")]


async def test_a_scanner_gets_the_figures_then_every_admission(scanner, door_open, codes):
    communicator = await door(door_open.pk, await db(_cookie)(scanner))
    assert await receive(communicator) == figures(door_open, 0, 2)

    scan = db(services.ticket_scan)
    outcome = await scan(staff=scanner, slot=door_open, code=codes[0], gate="north")
    assert outcome.result == "admitted"
    assert await receive(communicator) == figures(door_open, 1, 2)

    refused = await scan(staff=scanner, slot=door_open, code=codes[0], gate="south")
    assert refused.result == "already_checked_in"  # nothing changed: nothing pushed
    assert await communicator.receive_nothing(timeout=0.3)

    await communicator.send_json_to({"type": "ping"})
    assert await receive(communicator) == {"type": "pong"}
    await communicator.disconnect()


async def test_offline_uploads_and_window_changes_push_too(manager, scanner, door_open, codes):
    communicator = await door(door_open.pk, await db(_bearer)(manager))
    assert await receive(communicator) == figures(door_open, 0, 2)
    now = timezone.now()
    scans = [
        {"ref": "n-1", "code": codes[1], "scanned_at": now - timedelta(minutes=5)},
        {"ref": "n-2", "code": codes[1], "scanned_at": now - timedelta(minutes=2)},
    ]
    await db(services.scans_upload)(staff=scanner, slot=door_open, gate="north", scans=scans)
    assert await receive(communicator) == figures(door_open, 1, 2)  # the admission
    assert await receive(communicator) == figures(door_open, 1, 2, double_entries=1)

    await db(services.checkin_window_set)(slot=door_open, opens_at=None, closes_at=None)
    assert await receive(communicator) == figures(door_open, 1, 2, double_entries=1)
    # The gates' offline lists carry the window: they are told to fetch them again.
    assert await receive(communicator) == {"type": "checkin_settings", "slot": door_open.pk}
    await communicator.disconnect()


async def test_a_rule_change_tells_every_showtime_of_the_event(manager, door_open, codes):
    communicator = await door(door_open.pk, await db(_bearer)(manager))
    assert await receive(communicator) == figures(door_open, 0, 2)
    event = await db(lambda: door_open.event)()
    await db(services.checkin_rules_set)(event=event, reentry=True)
    assert await receive(communicator) == {"type": "checkin_settings", "slot": door_open.pk}
    await communicator.disconnect()


async def test_bookings_move_the_expected_count_of_a_watched_door(
    scanner, customer, door_open, codes, seat_ids
):
    communicator = await door(door_open.pk, await db(_cookie)(scanner))
    assert await receive(communicator) == figures(door_open, 0, 2)
    assert await db(consumers.watched)(door_open.pk)

    booking = await db(book)(customer, door_open.pk, seat_ids=seat_ids[2:5])
    assert await receive(communicator) == figures(door_open, 0, 5)

    from apps.bookings import services as bookings

    await db(bookings.booking_cancel)(user=customer, booking_id=booking.pk)
    assert await receive(communicator) == figures(door_open, 0, 2)
    await communicator.disconnect()


def test_an_unwatched_door_costs_a_booking_one_cache_read(
    customer, door_open, seat_ids, monkeypatch
):
    from django.core.cache import cache

    cache.delete(consumers._watched_key(door_open.pk))
    read = []
    monkeypatch.setattr(receivers.selectors, "door_counts", lambda slot_id: read.append(slot_id))
    book(customer, door_open.pk, seat_ids=seat_ids[:1])
    assert read == []


async def test_only_the_showtimes_staff_may_watch(
    organizer, other_organizer, customer, door_open, codes
):
    owner = await door(door_open.pk, await db(_cookie)(organizer))
    assert (await receive(owner))["type"] == "checkin"

    anonymous = await door(door_open.pk)
    assert (await receive(anonymous))["code"] == "not_authenticated"
    assert await closed_with(anonymous) == CLOSE_UNAUTHENTICATED

    rival_scanner = await db(make_user)("rival-scanner@example.org", "customer")
    await db(TeamMember.objects.create)(
        organizer=other_organizer, user=rival_scanner, role="scanner"
    )
    for user in (customer, other_organizer, rival_scanner):
        outsider = await door(door_open.pk, await db(_cookie)(user))
        assert (await receive(outsider))["code"] == "forbidden"
        assert await closed_with(outsider) == consumers.CLOSE_FORBIDDEN

    # Nobody learns whether a showtime exists: unknown ids are refused the same way.
    for slot_id in (door_open.pk + 1000, 2**64):
        unknown = await door(slot_id, await db(_cookie)(organizer))
        assert (await receive(unknown))["code"] == "forbidden"
        assert await closed_with(unknown) == consumers.CLOSE_FORBIDDEN

    # The refused sockets left the group: the next push reaches the owner only.
    await db(services.ticket_scan)(staff=organizer, slot=door_open, code=codes[0], gate="g")
    assert await receive(owner) == figures(door_open, 1, 2)
    await owner.disconnect()


async def test_a_broken_broadcast_never_undoes_the_scan(scanner, door_open, codes, monkeypatch):
    def broken(slot_id):
        raise RuntimeError("figures unavailable")

    monkeypatch.setattr(services.selectors, "door_counts", broken)
    outcome = await db(services.ticket_scan)(
        staff=scanner, slot=door_open, code=codes[0], gate="north"
    )
    assert outcome.result == "admitted"
    assert await db(lambda: Scan.objects.get().result)() == "admitted"


def test_the_receiver_swallows_a_channel_layer_that_is_down(door_open, monkeypatch):
    def down(group, message):
        raise ConnectionError("redis is gone")

    monkeypatch.setattr(receivers, "_group_send", down)
    # Sent robustly: the receiver's failure is logged, the sender goes on.
    events.checkin_changed(door_open.pk, selectors.door_counts(door_open.pk))
    events.door_settings_changed([door_open.pk, door_open.pk + 1000])
