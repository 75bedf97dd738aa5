"""Money: payments, partial refunds, booking moves, the ledger, idempotency records and
the `test` provider's own table."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from .booking import Booking, Hold


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
    # ISO 4217, its event's when it was made: charged and refunded in it.
    currency = models.CharField(max_length=3, default="EUR")
    provider = models.CharField(max_length=32)
    provider_ref = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    error = models.CharField(max_length=200, blank=True)
    # What partial refunds (some tickets cancelled, a cheaper showtime) took back, or
    # will: a full refund later gives back only the rest. Never more than `amount`.
    refunded_in_part = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    # Booking fees kept when the customer cancelled and the event does not refund them:
    # never given back (the organizer's), so a full refund gives back less by this much.
    kept = models.DecimalField(max_digits=10, decimal_places=2, default=0)
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
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    refunded_in_part__gte=0,
                    kept__gte=0,
                    refunded_in_part__lte=F("amount") - F("kept"),
                ),
                name="bookings_payment_refunded_in_part_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"payment {self.pk} ({self.status})"

    @property
    def idempotency_key(self) -> str:
        """The key the provider sees: one charge per payment row, however often retried."""
        return f"venue-payment-{self.pk}"

    @property
    def refund_left(self):
        """What a full refund gives back: the amount less what partial refunds took and
        the fees kept."""
        return self.amount - self.refunded_in_part - self.kept


class PartialRefund(models.Model):
    """Part of a payment given back: some tickets of a booking cancelled, or the booking
    moved to a cheaper showtime. Decided in the transaction that frees the tickets (which
    raises its payment's `refunded_in_part`); the provider is asked after commit
    (`services.partial_refund_run`), with this row's own idempotency key."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending: the provider has not refunded it yet"
        REFUNDED = "refunded", "Refunded"

    class Reason(models.TextChoices):
        TICKETS_CANCELLED = "tickets_cancelled", "Some tickets cancelled"
        BOOKING_MOVED = "booking_moved", "Moved to a cheaper showtime"

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="partial_refunds")
    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="partial_refunds")
    # The showtime whose books it is in (the booking's when it was decided).
    slot = models.ForeignKey("scheduling.Slot", on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    reason = models.CharField(max_length=32, choices=Reason.choices)
    ticket_numbers = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    error = models.CharField(max_length=200, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    refunded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="bookings_partial_refund_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"partial refund {self.pk} of {self.amount} (payment {self.payment_id})"

    @property
    def idempotency_key(self) -> str:
        return f"venue-partial-refund-{self.pk}"


class BookingMove(models.Model):
    """A booking moved by its organizer from one showtime to another of the same event."""

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="moves")
    from_slot = models.ForeignKey("scheduling.Slot", on_delete=models.PROTECT, related_name="+")
    to_slot = models.ForeignKey("scheduling.Slot", on_delete=models.PROTECT, related_name="+")
    # Seat ids before and after ({"<old>": new}); empty for general admission.
    seats = models.JSONField(default=dict, blank=True)
    same_seats = models.BooleanField(default=False)
    # What the new showtime's prices would have saved the customer, and what was
    # refunded of it (the rest, and any dearer difference, the organizer absorbs).
    difference = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    refunded = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"booking {self.booking_id}: slot {self.from_slot_id} -> {self.to_slot_id}"


class LedgerEntry(models.Model):
    """Money that moved, one row per charge and per refund, never changed afterwards
    (`bookings.ledger`). Written in the transaction that records the move, so the books
    and the payments cannot disagree; a payment is charged once and refunded once."""

    class Kind(models.TextChoices):
        CHARGE = "charge", "Charge"
        REFUND = "refund", "Refund"
        MOVED_OUT = "moved_out", "Moved to another showtime"
        MOVED_IN = "moved_in", "Moved from another showtime"

    slot = models.ForeignKey("scheduling.Slot", on_delete=models.PROTECT, related_name="+")
    booking = models.ForeignKey(
        Booking, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger"
    )
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="ledger")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    provider = models.CharField(max_length=32)
    provider_ref = models.CharField(max_length=64, blank=True)
    # Who made it happen: the payer for a charge; for a refund whoever cancelled the
    # booking (None: VENUE itself, a charge it could not book).
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=32)
    # The partial refund or the move this row records (None: a charge, a full refund).
    partial_refund = models.OneToOneField(
        PartialRefund, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger"
    )
    move = models.ForeignKey(
        BookingMove, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # One charge and one full refund per payment; partial refunds and moves have
            # rows of their own (one per partial refund, two per move).
            models.UniqueConstraint(
                fields=["payment", "kind"],
                condition=Q(kind__in=["charge", "refund"], partial_refund__isnull=True),
                name="bookings_ledger_once",
            ),
            models.UniqueConstraint(fields=["move", "kind"], name="bookings_ledger_move_once"),
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
    refunded_amount = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    refund_keys = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.ref
