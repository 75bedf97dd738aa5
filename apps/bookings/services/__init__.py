"""Writes of the booking engine: holds, confirmation with payment, cancellation, expiry.

The package: `holds` (take, release, expire, warn), `idempotency` (keys of confirm),
`confirm` (steps 1 and 2), `settle` (step 3, reconciliation, refunds), `resume`
(payments waiting at their provider: 3-D Secure, webhooks), `cancel` (a booking,
or some of its tickets), `refunds` (partial refunds), `move` (to another showtime),
`transfer` (a ticket given to another person).
Callers use the names exported here.

Every service takes its locks late, once and in a stable order, inside its own
`transaction.atomic(durable=True)`; broadcasts, emails and tasks leave the
process only through `transaction.on_commit`.

Confirm runs in three steps so a crash never loses money or seats:

1. (transaction) claim the Idempotency-Key, check the hold, write a `pending` Payment;
2. (no transaction) charge the provider with the payment's own idempotency key,
   then mark the payment `charged`;
3. (transaction) lock the hold again and write the booking, its tickets and the
   idempotency response together; if the hold expired meanwhile, refund.

A crash after 1 leaves a `pending` payment, after 2 a `charged` one:
`payments_reconcile` asks the provider and finishes the booking or refunds it.
A database outage after the charge is retried inside the request for a bounded
time (`VENUE_CONFIRM_SETTLE_SECONDS`); a client repeating its Idempotency-Key
settles a payment nobody has moved for `VENUE_PAYMENT_STALE_SECONDS` itself.
Every status change of a payment is a compare-and-set and step 3 locks the
payment row, so two settlers (the request, a repeat, the reconciler) never
finish one payment twice.
"""

from .cancel import (
    TicketsCancelled,
    booking_cancel,
    booking_tickets_cancel,
    partial_refund_decide,
    ticket_status_move,
)
from .confirm import booking_confirm
from .holds import (
    MAX_SEATS_PER_HOLD,
    Released,
    hold_create,
    hold_release,
    holds_expire,
    holds_warn_expiring,
    offer_hold_create,
)
from .idempotency import Outcome, idempotency_purge, request_fingerprint
from .limits import customer_limit_check
from .move import MoveResult, booking_move, move_slots_check
from .promo import promo_code_create, promo_code_update
from .refunds import partial_refund_run, partial_refunds_resume
from .resume import payment_notified, payment_refunded_at_provider, payment_resume
from .settle import payment_refund, payments_reconcile
from .transfer import ticket_transfer

__all__ = [
    "MAX_SEATS_PER_HOLD",
    "MoveResult",
    "Outcome",
    "Released",
    "TicketsCancelled",
    "booking_cancel",
    "booking_confirm",
    "booking_move",
    "booking_tickets_cancel",
    "customer_limit_check",
    "hold_create",
    "hold_release",
    "holds_expire",
    "holds_warn_expiring",
    "idempotency_purge",
    "move_slots_check",
    "offer_hold_create",
    "partial_refund_decide",
    "partial_refund_run",
    "partial_refunds_resume",
    "payment_notified",
    "payment_refund",
    "payment_refunded_at_provider",
    "payment_resume",
    "payments_reconcile",
    "promo_code_create",
    "promo_code_update",
    "request_fingerprint",
    "ticket_status_move",
    "ticket_transfer",
]
