"""Helpers of the WebSocket consumer tests (imported by those test modules)."""

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.utils import timezone

from apps.bookings.models import Hold, SeatClaim
from venue.asgi import application


def _forget_connections():
    for alias in list(connections):
        connections[alias].close()
        del connections[alias]


@pytest.fixture(autouse=True)
async def _forget_worker_connections():
    """ORM calls from async code run in asgiref's shared worker thread, whose connection
    outlives the test (an in-memory SQLite one even ignores close()): drop it, or the next
    test without database access finds it open when channels checks connections."""
    yield
    await sync_to_async(_forget_connections, thread_sensitive=True)()


def db(fn):
    """Run an ORM function from async test code, in the thread consumers use."""
    return sync_to_async(fn, thread_sensitive=True)


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
