"""A change made through one server process reaches a watcher connected to another."""

import json

import psycopg
from websockets.sync.client import connect

from apps.bookings.seatmap import SeatMapView
from tests.support.booking import confirm_body
from tests.support.demo import DEMO_EMAIL, DEMO_PASSWORD
from tests.support.web import fetch

WAIT = 10  # seconds: a bound, not a latency requirement


def reserved_slot(database_url: str) -> int:
    with psycopg.connect(database_url, connect_timeout=10) as conn:
        row = conn.execute(
            "SELECT id FROM scheduling_slot WHERE seating = 'reserved' AND status = 'scheduled'"
            " AND starts_at > now() + interval '1 hour' ORDER BY starts_at, id LIMIT 1"
        ).fetchone()
    assert row, "seed_demo made no upcoming reserved showtime"
    return row[0]


def next_update(ws) -> dict:
    for _ in range(20):
        message = json.loads(ws.recv(timeout=WAIT))
        if message["type"] == "update":
            return message
    raise AssertionError("no update arrived")


def test_a_hold_and_a_booking_through_b_reach_a_watcher_on_a(asgi_pair):
    (a, b), database_url = asgi_pair
    slot_id = reserved_slot(database_url)
    token = fetch(
        f"{b.url}/api/v1/auth/token/",
        "POST",
        json_body={"email": DEMO_EMAIL, "password": DEMO_PASSWORD},
    ).json()["access"]
    auth = {"Authorization": f"Bearer {token}"}
    seats = fetch(f"{b.url}/api/v1/slots/{slot_id}/seats/").json()["seats"]
    free = [seat["id"] for seat in seats if seat["status"] == "available"][:2]

    ws_url = f"ws://127.0.0.1:{a.port}/ws/slots/{slot_id}/"
    with connect(ws_url, origin=a.url, open_timeout=WAIT, close_timeout=2) as ws:
        view = SeatMapView()
        assert view.apply(json.loads(ws.recv(timeout=WAIT))) == "applied"
        start = view.version

        held = fetch(
            f"{b.url}/api/v1/bookings/hold-seats/",
            "POST",
            headers=auth,
            json_body={"slot": slot_id, "seats": free},
        )
        assert held.status == 201, held.body
        update = next_update(ws)
        assert view.apply(update) == "applied"
        assert update["changes"] == {str(pk): "held" for pk in free}
        assert update["version"] == start + 1

        booked = fetch(
            f"{b.url}/api/v1/bookings/confirm/",
            "POST",
            headers={**auth, "Idempotency-Key": "live-two-processes-1"},
            json_body=confirm_body(held.json()["id"]),
        )
        assert booked.status == 201, booked.body
        update = next_update(ws)
        assert view.apply(update) == "applied"
        assert update["changes"] == {str(pk): "booked" for pk in free}

    # Reconnecting (to the other process this time) gives a snapshot to carry on from.
    with connect(
        f"ws://127.0.0.1:{b.port}/ws/slots/{slot_id}/", origin=b.url, open_timeout=WAIT
    ) as ws:
        snapshot = json.loads(ws.recv(timeout=WAIT))
    assert snapshot["type"] == "snapshot"
    assert snapshot["version"] == view.version
    assert snapshot["seats"] == view.seats
