"""The per-customer ticket cap of an event (`Event.max_tickets_per_customer`).

Checked when seats are held, inside the hold's transaction: what the customer already
holds (live holds, this showtime's previous hold already replaced) and has booked
(confirmed bookings' live tickets) across the event's showtimes, plus what is asked,
may not pass the cap. Two devices of one customer holding at once are serialised by a
transaction-level advisory lock on (event, customer), taken before counting, so the
second counts what the first committed; buyers who are not that customer never wait
for it. An event without a cap costs nothing (the event is read with the showtime).
"""

from datetime import datetime

from django.db import connection

from .. import errors
from ..models import Booking, Hold

# Namespaces the advisory lock: (this, event id) and the customer id as the two keys
# would collide with other two-key locks; one 64-bit key from a hash does not.
_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))"

_COUNT = f"""
SELECT
  COALESCE((SELECT SUM(h.quantity) FROM {Hold._meta.db_table} h
            JOIN scheduling_slot s ON s.id = h.slot_id
            WHERE h.user_id = %(user)s AND s.event_id = %(event)s
              AND h.expires_at > %(now)s), 0),
  COALESCE((SELECT SUM(b.quantity) FROM {Booking._meta.db_table} b
            JOIN scheduling_slot s ON s.id = b.slot_id
            WHERE b.user_id = %(user)s AND s.event_id = %(event)s
              AND b.status = 'confirmed'), 0)
"""  # noqa: S608 - table names from the models, values as parameters


def customer_limit_check(*, user_id: int, event, asked: int, now: datetime) -> None:
    """Refuse (409 `limit_exceeded`) a hold of `asked` tickets that would take the
    customer past the event's cap. Call inside the hold's transaction, after the
    customer's previous hold of this showtime is gone."""
    cap = event.max_tickets_per_customer
    if cap is None:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_LOCK, [f"venue-ticket-cap:{event.pk}:{user_id}"])
        cursor.execute(_COUNT, {"user": user_id, "event": event.pk, "now": now})
        held, booked = (int(n) for n in cursor.fetchone())
    if held + booked + asked > cap:
        left = max(cap - held - booked, 0)
        raise errors.LimitExceeded(
            f"At most {cap} tickets per customer for this event: you hold {held} and have "
            f"booked {booked}, so {left} more at the most.",
            details={"limit": cap, "held": held, "booked": booked, "asked": asked, "left": left},
        )
