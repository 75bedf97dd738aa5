"""The WebSocket Origin rule on real uvicorn processes: no Origin is accepted, a foreign
one refused, under the production settings and under the embedded default (`make run`)."""

import contextlib
import json

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.support import sites
from tests.support.servers import inherited_env

from .test_two_processes import WAIT, reserved_slot


def first_message(url: str, origin: str | None) -> dict:
    with connect(url, origin=origin, open_timeout=WAIT, close_timeout=2) as ws:
        return json.loads(ws.recv(timeout=WAIT))


def assert_origin_rule(base_url: str, slot_id: int) -> None:
    url = base_url.replace("http://", "ws://") + f"/ws/slots/{slot_id}/"
    assert first_message(url, origin=None)["type"] == "snapshot"
    assert first_message(url, origin=base_url)["type"] == "snapshot"
    for foreign in ("https://evil.example", "null"):
        with pytest.raises(InvalidStatus) as refused:
            first_message(url, origin=foreign)
        assert refused.value.response.status_code == 403


def test_production_settings(asgi_pair):
    (server, _), database_url = asgi_pair
    assert_origin_rule(server.url, reserved_slot(database_url))


@pytest.fixture(scope="module")
def embedded_server():
    """`make run`'s configuration: DEBUG, SQLite, in-memory layer, no Redis, no broker."""
    with contextlib.ExitStack() as cleanup:
        run_dir = sites.run_dir(cleanup, "venue-embedded-")
        env = {
            **inherited_env(),
            "DJANGO_DEBUG": "1",
            "DATABASE_URL": f"sqlite:///{run_dir / 'db.sqlite3'}",
            "VENUE_EMBEDDED_BEAT": "0",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        sites.prepare(env)
        (server,) = sites.start_backends(cleanup, run_dir, [("embedded", "asgi", env)])
        yield server, run_dir / "db.sqlite3"


def test_embedded_default(embedded_server):
    import sqlite3

    server, db_path = embedded_server
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        (slot_id,) = conn.execute(
            "SELECT id FROM scheduling_slot WHERE seating = 'reserved' AND status = 'scheduled'"
            " ORDER BY starts_at, id LIMIT 1"
        ).fetchone()
    assert_origin_rule(server.url, slot_id)
