"""Holds, seat claims, bookings, tickets, payments and idempotency records.

How the database makes overselling impossible (docs/architecture.md, invariants 1-3 and 7):

- Reserved seating: a `SeatClaim` row exists for each seat of a slot that is held
  or booked, with a unique constraint on (slot, seat). A hold inserts the claims
  of all its seats in one statement, in seat-id order, inside a transaction: if
  any seat is already claimed the insert fails and the whole hold rolls back
  (all or nothing). Buyers of different seats insert different keys and never
  wait for each other; buyers of the same seat are serialised by the unique
  index, and exactly one wins. Claims of expired holds carry their expiry and
  count as free the moment it passes (reads filter on the database clock); the
  next hold of such a seat deletes the stale claim first.
- General admission: `GeneralInventory.available` is decremented by a
  conditional `UPDATE ... WHERE available >= n`, and a CHECK keeps it >= 0.
  Expired general-admission holds give their places back lazily: reads add
  them in, and the next hold (or the sweeper) reclaims them under row locks.
- One live hold per user and slot: a unique constraint on (user, slot). A new
  hold replaces the old one in the same transaction.
"""

from .booking import (
    REFERENCE_ALPHABET,
    REFERENCE_LENGTH,
    Booking,
    GeneralInventory,
    Hold,
    SeatClaim,
    Ticket,
    TicketTransfer,
    new_reference,
    new_ticket_code,
)
from .money import (
    BookingMove,
    IdempotencyRecord,
    LedgerEntry,
    PartialRefund,
    Payment,
    TestProviderCharge,
)
from .promo import PromoCode, PromoUse

__all__ = [
    "REFERENCE_ALPHABET",
    "REFERENCE_LENGTH",
    "Booking",
    "BookingMove",
    "GeneralInventory",
    "Hold",
    "IdempotencyRecord",
    "LedgerEntry",
    "PartialRefund",
    "Payment",
    "PromoCode",
    "PromoUse",
    "SeatClaim",
    "TestProviderCharge",
    "Ticket",
    "TicketTransfer",
    "new_reference",
    "new_ticket_code",
]
