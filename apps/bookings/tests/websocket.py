"""Helpers of the WebSocket consumer tests (imported by those test modules)."""

import pytest
from asgiref.sync import sync_to_async
from django.db import connections


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
