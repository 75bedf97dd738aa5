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

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
REFERENCE_LENGTH = 8


def new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def new_ticket_code() -> str:
    return secrets.token_hex(16)


class Hold(models.Model):
    """Seats, or a general-admission quantity, kept for one user until `expires_at`."""

    class Kind(models.TextChoices):
        PURCHASE = "purchase", "Purchase"
        OFFER = "offer", "Waitlist offer"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="holds"
    )
    slot = models.ForeignKey("scheduling.Slot", on_delete=models.CASCADE, related_name="holds")
    quantity = models.PositiveSmallIntegerField()
    total = models.DecimalField(max_digits=10, decimal_places=2)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.PURCHASE)
    expires_at = models.DateTimeField(db_index=True)
    # When the showtime was judged on sale for it (the database's clock, as expires_at):
    # a hold is never dated after the cancellation that would have refused it.
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "slot"], name="bookings_one_hold_per_user_slot"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="bookings_hold_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(total__gte=0), name="bookings_hold_total_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"hold {self.pk} of {self.quantity} on slot {self.slot_id}"


class Booking(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        CANCELLED = "cancelled", "Cancelled"

    reference = models.CharField(max_length=16, unique=True, default=new_reference)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings"
    )
    slot = models.ForeignKey("scheduling.Slot", on_delete=models.PROTECT, related_name="bookings")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CONFIRMED)
    quantity = models.PositiveSmallIntegerField()
    total = models.DecimalField(max_digits=10, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Who cancelled it: its customer, an organizer (a cancelled showtime) or an admin;
    # None before this was recorded.
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "-id"]), models.Index(fields=["slot", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="bookings_booking_quantity_positive"
            ),
            models.CheckConstraint(
                condition=Q(status="cancelled") | Q(cancelled_at__isnull=True),
                name="bookings_booking_cancelled_at_only_when_cancelled",
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class SeatClaim(models.Model):
    """A seat of a slot taken by a live hold or a confirmed booking; at most one per seat."""

    slot = models.ForeignKey("scheduling.Slot", on_delete=models.CASCADE, related_name="claims")
    seat = models.ForeignKey("catalog.Seat", on_delete=models.PROTECT, related_name="claims")
    hold = models.ForeignKey(
        Hold, null=True, blank=True, on_delete=models.CASCADE, related_name="claims"
    )
    booking = models.ForeignKey(
        Booking, null=True, blank=True, on_delete=models.CASCADE, related_name="claims"
    )
    # The hold's expiry, copied so availability reads need no join; null once booked.
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["slot", "seat"], name="bookings_one_claim_per_seat"),
            models.CheckConstraint(
                condition=(Q(hold__isnull=False, booking__isnull=True, expires_at__isnull=False))
                | Q(hold__isnull=True, booking__isnull=False, expires_at__isnull=True),
                name="bookings_claim_is_held_xor_booked",
            ),
        ]

    def __str__(self) -> str:
        return f"seat {self.seat_id} of slot {self.slot_id}"


class GeneralInventory(models.Model):
    """Places left to hold in a general-admission slot; the CHECK makes overselling impossible."""

    slot = models.OneToOneField(
        "scheduling.Slot", on_delete=models.CASCADE, related_name="general_inventory"
    )
    available = models.IntegerField()

    class Meta:
        verbose_name_plural = "general inventories"
        constraints = [
            models.CheckConstraint(
                condition=Q(available__gte=0), name="bookings_general_available_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.available} left on slot {self.slot_id}"


class Ticket(models.Model):
    """One admission: a seat of a reserved booking, or one unit of a general-admission one.

    `status`: `valid` until the door admits it (`used`; an exit scan of an event with
    re-entry makes it `valid` again), `cancelled` with its booking. `code` is the
    secret its QR text is signed with (`bookings.tickets`). `holder`: who holds it
    now, null while the booking's buyer does; a transfer (`services.ticket_transfer`)
    names the recipient and gives it a new `code`, so the old QR text stops admitting."""

    class Status(models.TextChoices):
        VALID = "valid", "Valid"
        USED = "used", "Used: admitted at the door"
        CANCELLED = "cancelled", "Cancelled"

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="tickets")
    seat = models.ForeignKey("catalog.Seat", null=True, blank=True, on_delete=models.PROTECT)
    number = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=32, unique=True, default=new_ticket_code)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.VALID)
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="held_tickets",
    )

    class Meta:
        ordering = ["booking_id", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["booking", "number"], name="bookings_ticket_unique_number"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["valid", "used", "cancelled"]),
                name="bookings_ticket_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.booking.reference}-{self.number}"


class TicketTransfer(models.Model):
    """One hand-over of a ticket by its holder to another person, by email."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="transfers")
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    to_email = models.EmailField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"ticket {self.ticket_id} to {self.to_email}"


class Payment(models.Model):
    """One charge attempt. Written before the provider is called, so nothing is lost in a crash.

    pending -> charged -> succeeded (booking written)
    pending -> failed (declined, provider error)
    charged -> refund_pending -> refunded (hold expired meanwhile, or booking cancelled)
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending: charge not confirmed"
        CHARGED = "charged", "Charged: booking not yet written"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        REFUND_PENDING = "refund_pending", "Refund pending"
        REFUNDED = "refunded", "Refunded"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments"
    )
    hold = models.ForeignKey(
        Hold, null=True, blank=True, on_delete=models.SET_NULL, related_name="payments"
    )
    booking = models.ForeignKey(
        Booking, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    slot = models.ForeignKey("scheduling.Slot", on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    provider = models.CharField(max_length=32)
    provider_ref = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    error = models.CharField(max_length=200, blank=True)
    idempotency = models.ForeignKey(
        "IdempotencyRecord",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="payments",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "updated_at"])]

    def __str__(self) -> str:
        return f"payment {self.pk} ({self.status})"

    @property
    def idempotency_key(self) -> str:
        """The key the provider sees: one charge per payment row, however often retried."""
        return f"venue-payment-{self.pk}"


class LedgerEntry(models.Model):
    """Money that moved, one row per charge and per refund, never changed afterwards
    (`bookings.ledger`). Written in the transaction that records the move, so the books
    and the payments cannot disagree; a payment is charged once and refunded once."""

    class Kind(models.TextChoices):
        CHARGE = "charge", "Charge"
        REFUND = "refund", "Refund"

    slot = models.ForeignKey("scheduling.Slot", on_delete=models.PROTECT, related_name="+")
    booking = models.ForeignKey(
        Booking, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger"
    )
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="ledger")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    provider = models.CharField(max_length=32)
    provider_ref = models.CharField(max_length=64, blank=True)
    # Who made it happen: the payer for a charge; for a refund whoever cancelled the
    # booking (None: VENUE itself, a charge it could not book).
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["payment", "kind"], name="bookings_ledger_once"),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="bookings_ledger_positive"
            ),
        ]
        indexes = [models.Index(fields=["slot", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} (payment {self.payment_id})"


class IdempotencyRecord(models.Model):
    """The first response to a (user, Idempotency-Key), replayed for repeats within 24 hours."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="bookings_idempotency_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status})"


class TestProviderCharge(models.Model):
    """The ledger of the shipped `test` payment provider, so reconciliation can ask it."""

    __test__ = False  # not a pytest test class

    key = models.CharField(max_length=64, unique=True)
    ref = models.CharField(max_length=64, unique=True)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    refunded = models.BooleanField(default=False)
    refunds = models.PositiveSmallIntegerField(default=0, help_text="Refunds asked of it.")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.ref
