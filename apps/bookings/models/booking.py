"""Holds, seat claims, bookings and tickets (`apps.bookings.models`, whose docstring says
how the database makes overselling impossible)."""

import secrets
from decimal import Decimal

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
    # The price of each ticket, {"<seat id>" or "#<n>": "<price>"} (`pricing.ticket_keys`),
    # fixed when held, so each ticket carries what was paid for it.
    seat_prices = models.JSONField(default=dict, blank=True)
    # The ticket type of each ticket, {"<seat id>" or "#<n>": ["<code>", "<name>"]}
    # (keys as `seat_prices`, `pricing.ticket_keys`); the tickets keep them.
    ticket_types = models.JSONField(default=dict, blank=True)
    # The booking fee in each ticket's price (keys as `seat_prices`): what a customer's
    # cancellation keeps when the event does not refund fees.
    seat_fees = models.JSONField(default=dict, blank=True)
    # Taken off by a promo code (its use is `promo_use`); `total` is after it, the fees
    # and any added tax. `breakdown`: `pricing.Quote.breakdown()` of the hold.
    discount = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    breakdown = models.JSONField(default=dict, blank=True)
    # Held before the public sale opened, with a presale code: confirming it may happen
    # before then too.
    presale = models.BooleanField(default=False)
    promo_code = models.ForeignKey(
        "PromoCode", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
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

    def type_counts(self, *, by_name: bool = False) -> dict[str, int]:
        """How many of its tickets are of each type, by code ({"adult": 1, "child": 1}) or
        by name, in the order first held."""
        counts: dict[str, int] = {}
        for code, name in self.ticket_types.values():
            key = name if by_name else code
            counts[key] = counts.get(key, 0) + 1
        return counts

    def held_again(self, seat_ids: list[int]) -> dict:
        """The `hold_create` arguments that hold the same tickets again (`seat_ids`: its
        claimed seats), each of the same type: to apply a promo code, say."""
        if seat_ids:
            types = {int(k): v[0] for k, v in self.ticket_types.items() if not k.startswith("#")}
            return {"seat_ids": seat_ids, "seat_types": types or None}
        quantities = self.type_counts()
        if sum(quantities.values()) != self.quantity:  # held before types were recorded
            return {"quantity": self.quantity}
        return {"quantities": quantities}

    @property
    def subtotal(self):
        """The list price of what is held, before the code, the fees and any added tax."""
        return Decimal(self.breakdown.get("subtotal", self.total + self.discount))


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
    # What a promo code took off when booked; `breakdown`: the price as booked (subtotal,
    # discount, fees, tax; `pricing.Quote.breakdown()`). The tickets' prices include their
    # shares of all of it.
    discount = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    breakdown = models.JSONField(default=dict, blank=True)
    promo_code = models.ForeignKey(
        "PromoCode", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
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
    # What the customer paid for this ticket: a live ticket's prices add up to its
    # booking's total, so cancelling some tickets refunds exactly theirs.
    price = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    # Its ticket type (adult, child, ...; `scheduling.TicketType`) as sold: code and name.
    ticket_type = models.CharField(max_length=32, blank=True)
    ticket_type_name = models.CharField(max_length=64, blank=True)
    # The booking fee inside `price` (its share of the per-order fee included).
    fee = models.DecimalField(max_digits=10, decimal_places=2, default=0)
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

    @property
    def label(self) -> str:
        """How emails, documents and pages name it: its seat (or general admission), and
        its ticket type when it has one: "B7, Child"."""
        place = self.seat.label if self.seat_id else "general admission"
        return f"{place}, {self.ticket_type_name}" if self.ticket_type_name else place


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
