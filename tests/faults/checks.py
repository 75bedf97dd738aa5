"""What must hold in the database after a fault, checked with SQL on the suite's own cluster.

Each check returns a list of problems (empty when all is well), so a test can
record every figure first and then fail with all the evidence at once.
"""

from __future__ import annotations

import time

import psycopg

from .buyers import Purchase


def connect(database_url: str) -> psycopg.Connection:
    return psycopg.connect(database_url, connect_timeout=5, autocommit=True)


def unsettled(conn, slots: list[int], keys: list[str]) -> dict[str, int]:
    """Money or requests of these showtimes not in a final state yet, by kind."""
    row = conn.execute(
        """
        SELECT
          count(*) FILTER (WHERE p.status IN ('pending', 'charged', 'refund_pending')),
          count(*) FILTER (
            WHERE c.id IS NOT NULL AND NOT c.refunded
              AND NOT (p.status = 'succeeded' AND b.status = 'confirmed')
          )
        FROM bookings_payment p
        LEFT JOIN bookings_testprovidercharge c ON c.key = 'venue-payment-' || p.id
        LEFT JOIN bookings_booking b ON b.id = p.booking_id
        WHERE p.slot_id = ANY(%s)
        """,
        [slots],
    ).fetchone()
    in_progress = conn.execute(
        "SELECT count(*) FROM bookings_idempotencyrecord WHERE key = ANY(%s)"
        " AND status = 'in_progress'",
        [keys],
    ).fetchone()[0]
    return {
        "payments_not_final": row[0],
        "charges_neither_booked_nor_refunded": row[1],
        "keys_in_progress": in_progress,
    }


def wait_settled(database_url, slots, keys, *, until: float, origin: float):
    """Poll until nothing is unsettled or `until`; return (seconds after `origin` or None,
    the last unsettled counts)."""
    last: dict[str, int] = {}
    while True:
        try:
            with connect(database_url) as conn:
                last = unsettled(conn, slots, keys)
        except psycopg.OperationalError as exc:
            last = {"database_unreachable": 1, "error": str(exc)[:100]}
        if not any(v for k, v in last.items() if k != "error"):
            return round(max(time.monotonic() - origin, 0.0), 2), last
        if time.monotonic() >= until:
            return None, last
        time.sleep(0.5)


def invariants(database_url: str, slots: list[int], purchases: list[Purchase]) -> list[str]:
    """No seat sold twice, every 201 a confirmed booking, every charge booked or refunded."""
    problems: list[str] = []
    with connect(database_url) as conn:
        doubles = conn.execute(
            "SELECT b.slot_id, t.seat_id, count(*) FROM bookings_ticket t"
            " JOIN bookings_booking b ON b.id = t.booking_id"
            " WHERE b.status = 'confirmed' AND b.slot_id = ANY(%s) AND t.seat_id IS NOT NULL"
            " GROUP BY b.slot_id, t.seat_id HAVING count(*) > 1",
            [slots],
        ).fetchall()
        if doubles:
            problems.append(f"seats in two confirmed bookings (slot, seat, n): {doubles[:10]}")
        claimless = conn.execute(
            "SELECT t.booking_id, t.seat_id FROM bookings_ticket t"
            " JOIN bookings_booking b ON b.id = t.booking_id"
            " WHERE b.status = 'confirmed' AND b.slot_id = ANY(%s) AND t.seat_id IS NOT NULL"
            " AND NOT EXISTS (SELECT 1 FROM bookings_seatclaim c WHERE c.booking_id = b.id"
            "   AND c.seat_id = t.seat_id AND c.slot_id = b.slot_id)",
            [slots],
        ).fetchall()
        if claimless:
            problems.append(f"booked tickets without their seat claim: {claimless[:10]}")
        stray_claims = conn.execute(
            "SELECT c.id, c.booking_id FROM bookings_seatclaim c"
            " JOIN bookings_booking b ON b.id = c.booking_id"
            " WHERE c.slot_id = ANY(%s) AND b.status <> 'confirmed'",
            [slots],
        ).fetchall()
        if stray_claims:
            problems.append(f"seat claims of bookings not confirmed: {stray_claims[:10]}")

        bookings = {
            row[0]: row[1:]
            for row in conn.execute(
                "SELECT b.id, b.status, b.slot_id, coalesce(array_agg(t.seat_id ORDER BY t.seat_id)"
                " FILTER (WHERE t.seat_id IS NOT NULL), '{}')"
                " FROM bookings_booking b LEFT JOIN bookings_ticket t ON t.booking_id = b.id"
                " WHERE b.slot_id = ANY(%s) GROUP BY b.id",
                [slots],
            ).fetchall()
        }
        answered = {}
        for p in purchases:
            if not p.booked:
                continue
            answered[p.booking_id] = p
            found = bookings.get(p.booking_id)
            want = "cancelled" if p.cancelled else "confirmed"
            if found is None:
                problems.append(f"201 for booking {p.booking_id} (key {p.key}): no such booking")
            elif found[0] != want or found[1] != p.slot or list(found[2]) != p.booking_seats:
                problems.append(
                    f"201 for booking {p.booking_id} {p.booking_seats} on slot {p.slot}, "
                    f"{'cancelled' if p.cancelled else 'kept'} by the client: database has "
                    f"{found[0]} {list(found[2])} on slot {found[1]}"
                )
        unknown = sorted(set(bookings) - set(answered))
        if unknown:
            problems.append(f"bookings no client got a 201 for: {unknown[:10]} ({len(unknown)})")

        per_key = conn.execute(
            "SELECT r.key, count(DISTINCT p.booking_id) FROM bookings_payment p"
            " JOIN bookings_idempotencyrecord r ON r.id = p.idempotency_id"
            " WHERE p.slot_id = ANY(%s) AND p.booking_id IS NOT NULL"
            " GROUP BY r.key HAVING count(DISTINCT p.booking_id) > 1",
            [slots],
        ).fetchall()
        if per_key:
            problems.append(f"one Idempotency-Key booked more than once: {per_key[:10]}")
        double_paid = conn.execute(
            "SELECT p.booking_id, count(*) FROM bookings_payment p"
            " WHERE p.slot_id = ANY(%s) AND p.booking_id IS NOT NULL"
            " AND p.status IN ('succeeded', 'refund_pending', 'refunded')"
            " GROUP BY p.booking_id HAVING count(*) > 1",
            [slots],
        ).fetchall()
        if double_paid:
            problems.append(f"bookings paid more than once: {double_paid[:10]}")
        unpaid = conn.execute(
            "SELECT b.id FROM bookings_booking b WHERE b.slot_id = ANY(%s) AND NOT EXISTS"
            " (SELECT 1 FROM bookings_payment p JOIN bookings_testprovidercharge c"
            "   ON c.key = 'venue-payment-' || p.id WHERE p.booking_id = b.id)",
            [slots],
        ).fetchall()
        if unpaid:
            problems.append(f"bookings without a charge: {[r[0] for r in unpaid[:10]]}")
        orphans = conn.execute(
            "SELECT c.key FROM bookings_testprovidercharge c WHERE NOT EXISTS"
            " (SELECT 1 FROM bookings_payment p WHERE c.key = 'venue-payment-' || p.id)"
        ).fetchall()
        if orphans:
            problems.append(f"charges of no payment: {orphans[:10]}")
        left = unsettled(conn, slots, [p.key for p in purchases if p.key])
        if any(left.values()):
            problems.append(f"not settled: {left}")
    return problems


def payment_figures(database_url: str, slots: list[int]) -> dict:
    with connect(database_url) as conn:
        statuses = dict(
            conn.execute(
                "SELECT status, count(*) FROM bookings_payment WHERE slot_id = ANY(%s)"
                " GROUP BY status ORDER BY status",
                [slots],
            ).fetchall()
        )
        bookings = dict(
            conn.execute(
                "SELECT status, count(*) FROM bookings_booking WHERE slot_id = ANY(%s)"
                " GROUP BY status ORDER BY status",
                [slots],
            ).fetchall()
        )
        refunded = conn.execute(
            "SELECT count(*) FROM bookings_testprovidercharge c JOIN bookings_payment p"
            " ON c.key = 'venue-payment-' || p.id WHERE p.slot_id = ANY(%s) AND c.refunded",
            [slots],
        ).fetchone()[0]
    return {"payments": statuses, "bookings": bookings, "charges_refunded": refunded}


def refund_pending(database_url: str, slots: list[int]) -> int:
    with connect(database_url) as conn:
        return conn.execute(
            "SELECT count(*) FROM bookings_payment WHERE slot_id = ANY(%s)"
            " AND status = 'refund_pending'",
            [slots],
        ).fetchone()[0]


class ConnectionPeak:
    """Samples how many sessions the cluster has (all databases) until stopped."""

    def __init__(self, database_url: str, interval: float = 0.05):
        import threading

        self.database_url, self.interval = database_url, interval
        self.peak = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="connection-peak")

    def _run(self):
        try:
            with connect(self.database_url) as conn:
                while not self.stop.is_set():
                    count = conn.execute(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE backend_type = 'client backend'"
                    ).fetchone()[0]
                    self.peak = max(self.peak, count)
                    self.stop.wait(self.interval)
        except psycopg.Error:
            self.peak = max(self.peak, -1)  # sampling itself refused (e.g. too many clients)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=10)
