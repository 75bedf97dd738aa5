"""Booking through nginx while a WSGI backend dies: no booking lost, none made twice.

Buyers retry what failed: a hold is safe to repeat (a user's new hold on a slot
replaces the old one) and a confirm is repeated with the same Idempotency-Key,
so it books at most once. A confirm cut off after its payment step stays "in
progress" (409) until payment reconciliation settles it; then the repeat replays
the booking.
"""

import threading
import time
import uuid

import psycopg

from tests.support.booking import confirm_body
from tests.support.sites import manage

BUYERS = 12
SLOTS_PER_BUYER = 2
RETRYABLE = {502, 503, 504}


def reserved_slots(topology) -> list[tuple[int, list[int]]]:
    """Upcoming reserved showtimes of the demo data with their seat ids."""
    found = []
    for event in topology.get("/api/v1/events/?page_size=100").json()["results"]:
        for slot in topology.get(f"/api/v1/events/{event['id']}/").json()["slots"]:
            if slot["seating"] == "reserved":
                seats = topology.get(f"/api/v1/slots/{slot['id']}/seats/").json()["seats"]
                free = [s["id"] for s in seats if s["status"] == "available"]
                if len(free) >= BUYERS:
                    found.append((slot["id"], free))
    return found


class Buyer(threading.Thread):
    def __init__(self, topology, index, plan, deadline):
        super().__init__(daemon=True)
        self.topology, self.plan, self.deadline = topology, plan, deadline
        self.email = f"failover-{index}-{uuid.uuid4().hex[:6]}@venue.test"
        self.booked: list[int] = []
        self.errors: list[str] = []
        self.calls = 0

    def call(self, path, body, headers, ok=(201,), also_retry=()):
        while time.monotonic() < self.deadline:
            self.calls += 1
            try:
                reply = self.topology.post(path, json_body=body, headers=headers, timeout=15)
            except OSError:
                time.sleep(0.2)
                continue
            code = reply.json().get("error", {}).get("code") if reply.status >= 400 else None
            if reply.status in ok:
                return reply
            if reply.status in RETRYABLE or code in also_retry:
                time.sleep(0.2)
                continue
            self.errors.append(f"{path} {reply.status} {reply.body[:200]!r}")
            return None
        self.errors.append(f"{path}: gave up at the deadline")
        return None

    def run(self):
        password = "Pw-" + uuid.uuid4().hex  # unlike the email, so the validators accept it
        registered = self.call(
            "/api/v1/auth/register/",
            {"email": self.email, "password": password, "full_name": "Failover"},
            {},
            ok=(201, 409),
        )
        token = registered and self.call(
            "/api/v1/auth/token/", {"email": self.email, "password": password}, {}, ok=(200,)
        )
        if not token:
            return
        auth = {"Authorization": f"Bearer {token.json()['access']}"}
        for slot_id, seat_id in self.plan:
            held = self.call(
                "/api/v1/bookings/hold-seats/", {"slot": slot_id, "seats": [seat_id]}, auth
            )
            if not held:
                return
            key = uuid.uuid4().hex
            booked = self.call(
                "/api/v1/bookings/confirm/",
                confirm_body(held.json()["id"]),
                {**auth, "Idempotency-Key": key},
                also_retry=("request_in_progress",),
            )
            if not booked:
                return
            self.booked.append(booked.json()["id"])


def test_killing_a_backend_mid_sale_loses_and_duplicates_no_booking(topology, all_backends_up):
    slots = reserved_slots(topology)[:SLOTS_PER_BUYER]
    assert len(slots) == SLOTS_PER_BUYER, "the demo data has too few reserved showtimes"
    deadline = time.monotonic() + 90
    buyers = [
        Buyer(topology, i, [(slot_id, seats[i]) for slot_id, seats in slots], deadline)
        for i in range(BUYERS)
    ]
    for buyer in buyers:
        buyer.start()
    # Kill one WSGI backend while the sale is under way.
    while sum(len(b.booked) for b in buyers) < BUYERS // 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sum(len(b.booked) for b in buyers) < BUYERS * SLOTS_PER_BUYER, "sale over too soon"
    topology.wsgi[0].kill()
    # Settle confirms the crash cut off between charge and booking, as the beat task would.
    time.sleep(3)
    manage(["reconcile_payments", "--older-than", "2"], topology.env)
    for buyer in buyers:
        buyer.join(timeout=max(deadline - time.monotonic(), 1) + 5)
    assert not any(b.is_alive() for b in buyers)

    errors = [e for b in buyers for e in b.errors]
    assert not errors, errors[:5]
    assert all(len(b.booked) == SLOTS_PER_BUYER for b in buyers)

    dsn = topology.database_url.replace("postgres://", "postgresql://", 1)
    with psycopg.connect(dsn) as conn:
        per_user = conn.execute(
            "SELECT u.email, b.slot_id, count(*) FROM bookings_booking b"
            " JOIN accounts_user u ON u.id = b.user_id"
            " WHERE u.email LIKE 'failover-%%' AND b.status = 'confirmed'"
            " GROUP BY u.email, b.slot_id"
        ).fetchall()
        doubles = conn.execute(
            "SELECT count(*) FROM (SELECT b.slot_id, t.seat_id FROM bookings_ticket t"
            " JOIN bookings_booking b ON b.id = t.booking_id WHERE b.status = 'confirmed'"
            " GROUP BY b.slot_id, t.seat_id HAVING count(*) > 1) d"
        ).fetchone()[0]
        charges = conn.execute(
            "SELECT count(*) FROM bookings_testprovidercharge c"
            " JOIN bookings_payment p ON 'venue-payment-' || p.id = c.key"
            " JOIN accounts_user u ON u.id = p.user_id"
            " WHERE u.email LIKE 'failover-%%' AND NOT c.refunded"
        ).fetchone()[0]
    assert len(per_user) == BUYERS * SLOTS_PER_BUYER  # none lost
    assert all(count == 1 for _, _, count in per_user)  # none twice
    assert doubles == 0
    assert charges == BUYERS * SLOTS_PER_BUYER  # every booking paid once, nobody charged twice
