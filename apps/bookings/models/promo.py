"""Promo codes and their uses (`services/promo.py` applies them, `pricing.quote` prices)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from .booking import Booking


class PromoCode(models.Model):
    """A code an event's organizer hands out: a percentage or an amount off, per order or
    per ticket, for some showtimes and seat categories, within a window, so many times."""

    class Kind(models.TextChoices):
        PERCENT = "percent", "Percentage off"
        FIXED = "fixed", "Amount off"

    class Per(models.TextChoices):
        ORDER = "order", "Per order"
        TICKET = "ticket", "Per ticket"

    event = models.ForeignKey("catalog.Event", on_delete=models.CASCADE, related_name="promo_codes")
    code = models.CharField(max_length=32, help_text="Stored upper-case; matched case-blind.")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    amount = models.DecimalField(max_digits=8, decimal_places=2)
    per = models.CharField(max_length=8, choices=Per.choices, default=Per.ORDER)
    # Empty: every showtime of the event, every seat category, every ticket type.
    slots = models.ManyToManyField("scheduling.Slot", blank=True, related_name="+")
    categories = models.JSONField(default=list, blank=True)
    ticket_types = models.JSONField(default=list, blank=True)
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    max_uses = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: no limit.")
    max_uses_per_customer = models.PositiveSmallIntegerField(null=True, blank=True)
    # A presale code also opens its showtimes to its holders before their public sale
    # (`sales_open_at`); its amount may then be 0 (no discount).
    presale = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["event_id", "code"]
        constraints = [
            models.UniqueConstraint(fields=["event", "code"], name="bookings_promo_code_unique"),
            models.CheckConstraint(
                condition=Q(amount__gt=0) | Q(presale=True, amount=0),
                name="bookings_promo_amount_positive",
            ),
            models.CheckConstraint(
                condition=~Q(kind="percent") | Q(amount__lte=100),
                name="bookings_promo_percent_at_most_100",
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_until__gt=models.F("valid_from")),
                name="bookings_promo_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class PromoUse(models.Model):
    """One use of a code: kept by a live hold (until it expires or is released: then it
    counts no more) or spent by the booking the hold became."""

    code = models.ForeignKey(PromoCode, on_delete=models.PROTECT, related_name="uses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The hold keeping it, by id and with no foreign key, so deleting a hold without a
    # code (every confirm, release and expiry) costs no statement here; a hold with one
    # deletes its use itself, and a use whose hold vanished otherwise lapses at `expires_at`.
    hold_ref = models.BigIntegerField(null=True, blank=True, unique=True)
    booking = models.OneToOneField(
        Booking, null=True, blank=True, on_delete=models.PROTECT, related_name="promo_use"
    )
    # The hold's expiry (the database's clock), so counting needs no join; null once booked.
    expires_at = models.DateTimeField(null=True, blank=True)
    discount = models.DecimalField(max_digits=10, decimal_places=2)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["code", "expires_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(hold_ref__isnull=False, booking__isnull=True, expires_at__isnull=False)
                | Q(hold_ref__isnull=True, booking__isnull=False, expires_at__isnull=True),
                name="bookings_promo_use_held_xor_booked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code_id} by {self.user_id}"
