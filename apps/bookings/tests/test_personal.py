"""The personal channel `/ws/me/`: authentication and the events a user gets after commit."""

from datetime import timedelta

import pytest
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from apps.accounts.cookies import access_cookie_name
from apps.accounts.websocket import token_from_scope
from apps.bookings import consumers, realtime, services
from apps.bookings.models import Hold, SeatClaim
from tests.support.booking import pay
from venue.asgi import application

from .websocket import _forget_worker_connections, db  # noqa: F401  (autouse fixture)

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = (b"origin", b"http://localhost")
WAIT = 5


async def connect(*headers):
    communicator = WebsocketCommunicator(application, "/ws/me/", headers=[ORIGIN, *headers])
    connected, _ = await communicator.connect(timeout=WAIT)
    assert connected
    return communicator


async def receive(communicator):
    return await communicator.receive_json_from(timeout=WAIT)


def bearer(user):
    return (b"authorization", f"Bearer {AccessToken.for_user(user)}".encode())


async def signed_in(user):
    communicator = await connect(bearer(user))
    assert await receive(communicator) == {"type": "hello", "user": user.pk}
    return communicator


@pytest.mark.parametrize(
    "headers",
    [
        [],
        [(b"authorization", b"Bearer not-a-token")],
        [(b"cookie", f"{access_cookie_name()}=garbage".encode())],
    ],
)
async def test_without_a_valid_token_the_socket_closes_with_4401(headers):
    communicator = await connect(*headers)
    assert (await receive(communicator))["code"] == "not_authenticated"
    output = await communicator.receive_output(timeout=WAIT)
    assert output == {"type": "websocket.close", "code": consumers.CLOSE_UNAUTHENTICATED}


async def test_the_access_cookie_signs_the_socket_in(customer):
    token = await db(lambda: str(AccessToken.for_user(customer)))()
    communicator = await connect((b"cookie", f"{access_cookie_name()}={token}; x=1".encode()))
    assert await receive(communicator) == {"type": "hello", "user": customer.pk}
    await communicator.send_json_to({"type": "ping"})
    assert await receive(communicator) == {"type": "pong"}
    await communicator.send_json_to({"type": "resync"})
    assert (await receive(communicator))["code"] == "unknown_type"
    await communicator.disconnect()


async def test_a_program_without_origin_signs_in_with_a_bearer_token(customer):
    header = await db(bearer)(customer)
    communicator = WebsocketCommunicator(application, "/ws/me/", headers=[header])
    connected, _ = await communicator.connect(timeout=WAIT)
    assert connected
    assert await receive(communicator) == {"type": "hello", "user": customer.pk}
    await communicator.disconnect()


async def test_another_sites_page_cannot_read_the_personal_channel(customer):
    """A foreign page's handshake carries the visitor's cookie and the page's Origin: refused."""
    token = await db(lambda: str(AccessToken.for_user(customer)))()
    communicator = WebsocketCommunicator(
        application,
        "/ws/me/",
        headers=[
            (b"origin", b"https://evil.test"),
            (b"cookie", f"{access_cookie_name()}={token}".encode()),
        ],
    )
    connected, _ = await communicator.connect(timeout=WAIT)
    assert not connected


async def test_a_deactivated_user_is_refused(customer):
    header = await db(bearer)(customer)
    customer.is_active = False
    await db(customer.save)()
    communicator = await connect(header)
    assert (await receive(communicator))["code"] == "not_authenticated"


def test_the_bearer_header_wins_over_the_cookie():
    scope = {"headers": [(b"authorization", b"Bearer abc"), (b"cookie", b"venue_access=def")]}
    assert token_from_scope(scope) == "abc"
    assert token_from_scope({"headers": [], "cookies": {access_cookie_name(): "ghi"}}) == "ghi"
    assert token_from_scope({"headers": [(b"authorization", b"Basic x")]}) is None


async def test_booking_confirmed_reaches_only_its_user(
    customer, organizer, reserved_slot, seat_ids
):
    mine, theirs = await signed_in(customer), await signed_in(organizer)
    hold = await db(services.hold_create)(
        user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:1]
    )
    outcome = await db(pay)(customer, hold.pk)
    event = await receive(mine)
    assert event == {
        "type": "booking_confirmed",
        "booking": outcome.body["id"],
        "reference": outcome.body["reference"],
        "slot": reserved_slot.pk,
    }
    assert await theirs.receive_nothing(timeout=0.3)
    await mine.disconnect()
    await theirs.disconnect()


def _expire(hold):
    past = timezone.now() - timedelta(seconds=1)
    Hold.objects.filter(pk=hold.pk).update(expires_at=past)
    SeatClaim.objects.filter(hold=hold).update(expires_at=past)


async def test_the_sweeper_tells_the_user_their_hold_expired(customer, reserved_slot, seat_ids):
    communicator = await signed_in(customer)
    hold = await db(services.hold_create)(
        user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:1]
    )
    await db(_expire)(hold)
    assert await db(services.holds_expire)() == 1
    assert await receive(communicator) == {
        "type": "hold_expired",
        "hold": hold.pk,
        "slot": reserved_slot.pk,
    }
    await communicator.disconnect()


async def test_a_release_is_not_an_expiry(customer, reserved_slot, seat_ids):
    communicator = await signed_in(customer)
    hold = await db(services.hold_create)(
        user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:1]
    )
    await db(services.hold_release)(user=customer, hold_id=hold.pk)
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


@override_settings(VENUE_HOLD_WARNING_SECONDS=120)
async def test_a_hold_about_to_expire_is_warned_once(customer, organizer, reserved_slot, seat_ids):
    communicator = await signed_in(customer)
    soon = await db(services.hold_create)(
        user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:1], lifetime_seconds=60
    )
    await db(services.hold_create)(
        user=organizer, slot_id=reserved_slot.pk, seat_ids=seat_ids[1:2], lifetime_seconds=600
    )
    assert await db(services.holds_warn_expiring)() == 1
    event = await receive(communicator)
    assert event["type"] == "hold_expiring"
    assert (event["hold"], event["slot"]) == (soon.pk, reserved_slot.pk)
    assert event["expires_at"].endswith("Z")
    # Idempotent: the next run (the beat task every few seconds) stays quiet.
    from apps.bookings.tasks import warn_expiring_holds

    assert await db(warn_expiring_holds)() == 0
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_notify_user_sends_only_after_commit(customer):
    communicator = await signed_in(customer)

    def rolled_back():
        with pytest.raises(RuntimeError), transaction.atomic():
            realtime.notify_user(customer.pk, {"type": "waitlist_offer", "hold": 1})
            raise RuntimeError("rolled back")

    def committed():
        with transaction.atomic():
            realtime.notify_user(customer.pk, {"type": "waitlist_offer", "hold": 2})

    await db(rolled_back)()
    await db(committed)()
    assert await receive(communicator) == {"type": "waitlist_offer", "hold": 2}
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


def test_a_personal_event_needs_a_type():
    with pytest.raises(ValueError):
        realtime.notify_user(1, {"hold": 3})
