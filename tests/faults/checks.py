"""What must hold in the database after a fault, checked with SQL on the suite's own cluster.

Each check returns a list of problems (empty when all is well), so a test can
record every figure first and then fail with all the evidence at once.
"""

from __future__ import annotations

import contextlib
import threading
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


# Rows that must not exist after a sale, as (what they mean, the query); `%s` is the
# array of the sale's showtimes. The 201s the clients got are checked in `invariants`.
FORBIDDEN_ROWS = [
    (
        "seats in two confirmed bookings (slot, seat, n)",
        "SELECT b.slot_id, t.seat_id, count(*) FROM bookings_ticket t"
        " JOIN bookings_booking b ON b.id = t.booking_id"
        " WHERE b.status = 'confirmed' AND b.slot_id = ANY(%s) AND t.seat_id IS NOT NULL"
        " GROUP BY b.slot_id, t.seat_id HAVING count(*) > 1",
    ),
    (
        "booked tickets without their seat claim (booking, seat)",
        "SELECT t.booking_id, t.seat_id FROM bookings_ticket t"
        " JOIN bookings_booking b ON b.id = t.booking_id"
        " WHERE b.status = 'confirmed' AND b.slot_id = ANY(%s) AND t.seat_id IS NOT NULL"
        " AND NOT EXISTS (SELECT 1 FROM bookings_seatclaim c WHERE c.booking_id = b.id"
        "   AND c.seat_id = t.seat_id AND c.slot_id = b.slot_id)",
    ),
    (
        "seat claims of bookings not confirmed (claim, booking)",
        "SELECT c.id, c.booking_id FROM bookings_seatclaim c"
        " JOIN bookings_booking b ON b.id = c.booking_id"
        " WHERE c.slot_id = ANY(%s) AND b.status <> 'confirmed'",
    ),
    (
        "one Idempotency-Key booked more than once (key, bookings)",
        "SELECT r.key, count(DISTINCT p.booking_id) FROM bookings_payment p"
        " JOIN bookings_idempotencyrecord r ON r.id = p.idempotency_id"
        " WHERE p.slot_id = ANY(%s) AND p.booking_id IS NOT NULL"
        " GROUP BY r.key HAVING count(DISTINCT p.booking_id) > 1",
    ),
    (
        "bookings paid more than once (booking, payments)",
        "SELECT p.booking_id, count(*) FROM bookings_payment p"
        " WHERE p.slot_id = ANY(%s) AND p.booking_id IS NOT NULL"
        " AND p.status IN ('succeeded', 'refund_pending', 'refunded')"
        " GROUP BY p.booking_id HAVING count(*) > 1",
    ),
    (
        "bookings without a charge",
        "SELECT b.id FROM bookings_booking b WHERE b.slot_id = ANY(%s) AND NOT EXISTS"
        " (SELECT 1 FROM bookings_payment p JOIN bookings_testprovidercharge c"
        "   ON c.key = 'venue-payment-' || p.id WHERE p.booking_id = b.id)",
    ),
    (
        "charges of no payment (any showtime)",
        "SELECT c.key FROM bookings_testprovidercharge c WHERE NOT EXISTS"
        " (SELECT 1 FROM bookings_payment p WHERE c.key = 'venue-payment-' || p.id)",
    ),
]


def _answer_problems(bookings: dict, purchases: list[Purchase]) -> list[str]:
    """Every 201 a client got is a booking of its seats, confirmed unless it cancelled it,
    and every booking is one a client got a 201 for."""
    problems = []
    answered = set()
    for p in purchases:
        if not p.booked:
            continue
        answered.add(p.booking_id)
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
    unknown = sorted(set(bookings) - answered)
    if unknown:
        problems.append(f"bookings no client got a 201 for: {unknown[:10]} ({len(unknown)})")
    return problems


def invariants(database_url: str, slots: list[int], purchases: list[Purchase]) -> list[str]:
    """No seat sold twice, every 201 a confirmed booking, every charge booked or refunded."""
    problems: list[str] = []
    with connect(database_url) as conn:
        for meaning, query in FORBIDDEN_ROWS:
            rows = conn.execute(query, [slots] if "%s" in query else None).fetchall()
            if rows:
                problems.append(f"{meaning}: {rows[:10]} ({len(rows)})")
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
        problems += _answer_problems(bookings, purchases)
        left = unsettled(conn, slots, [p.key for p in purchases if p.key])
        if any(left.values()):
            problems.append(f"not settled: {left}")
    return problems


def payment_figures(database_url: str, slots: list[int]) -> dict:
    """Payments and bookings of the showtimes by status, and how many charges were refunded."""
    with connect(database_url) as conn:
        figures = {
            name: dict(
                conn.execute(
                    f"SELECT status, count(*) FROM {table} WHERE slot_id = ANY(%s)"
                    " GROUP BY status ORDER BY status",
                    [slots],
                ).fetchall()
            )
            for name, table in (("payments", "bookings_payment"), ("bookings", "bookings_booking"))
        }
        figures["charges_refunded"] = conn.execute(
            "SELECT count(*) FROM bookings_testprovidercharge c JOIN bookings_payment p"
            " ON c.key = 'venue-payment-' || p.id WHERE p.slot_id = ANY(%s) AND c.refunded",
            [slots],
        ).fetchone()[0]
    return figures


def refund_pending(database_url: str, slots: list[int]) -> int:
    with connect(database_url) as conn:
        return conn.execute(
            "SELECT count(*) FROM bookings_payment WHERE slot_id = ANY(%s)"
            " AND status = 'refund_pending'",
            [slots],
        ).fetchone()[0]


@contextlib.contextmanager
def connection_peak(database_url: str, interval: float = 0.05):
    """Sample how many client sessions the cluster has (all databases) while the block
    runs; yield a dict whose "peak" is the most seen ("refused" if sampling was)."""
    seen = {"peak": 0, "refused": None}
    stop = threading.Event()

    def sample():
        try:
            with connect(database_url) as conn:
                while not stop.is_set():
                    count = conn.execute(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE backend_type = 'client backend'"
                    ).fetchone()[0]
                    seen["peak"] = max(seen["peak"], count)
                    stop.wait(interval)
        except psycopg.Error as exc:  # e.g. too many clients: the figure says so
            seen["refused"] = str(exc)[:200]

    thread = threading.Thread(target=sample, daemon=True, name="connection-peak")
    thread.start()
    try:
        yield seen
    finally:
        stop.set()
        thread.join(timeout=10)
