"""What the scheduling services announce, for the apps built on them (bookings, waitlist),
which scheduling never imports. The services send these explicitly; no model signal
carries a rule.

- `slot_capacity_changing` (`slot`, `before`): sent by `slot_update` inside its
  transaction, with the slot locked and before its row is written, when a capacity
  changes. A receiver may write in the same transaction, or refuse the change by
  raising an `ApplicationError` (bookings: general admission cannot go below what is
  sold or held).
- `slot_changed` (`slot_id`): sent after commit when an existing showtime changed
  (times, status, prices, capacity, sales window, or its capacity following a new
  layout of its screen). Not sent for a new showtime: nobody watches it yet.
- `slot_deleted` (`slot_id`): sent after a deletion commits.
- `demo_seeded` (`events`, `organizer`): sent by `seed_demo` once its events exist, so
  the apps above add their part of the demo data (bookings: the `DEMO10` promo code).
  Receivers must be idempotent, as the command is.

The after-commit signals are sent with `send_robust`: a failing receiver is logged and
never undoes or fails the committed edit.
"""

import logging

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

slot_capacity_changing = Signal()
slot_changed = Signal()
slot_deleted = Signal()
demo_seeded = Signal()


def send_after_commit(signal: Signal, **kwargs) -> None:
    """Send `signal` once the current transaction commits (at once outside one)."""

    def send() -> None:
        for receiver, result in signal.send_robust(sender=None, **kwargs):
            if isinstance(result, Exception):
                logger.error(
                    "Receiver failed",
                    exc_info=result,
                    extra={"receiver": getattr(receiver, "__qualname__", repr(receiver))},
                )

    transaction.on_commit(send, robust=True)
