"""Waitlist entries of a sold-out showtime, and the per-slot row that serialises promotion.

One live entry per user and slot: a partial unique constraint on (user, slot)
for the statuses `waiting` and `offered`. An entry that ended (fulfilled,
expired, left) stays as history, so re-joining creates a new row at the back
of the line.

The line is FIFO by (`created_at`, `id`). `skipped` counts how often later,
smaller entries were served ahead of this one (the fairness rule in services.py).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

MAX_QUANTITY = 10


class WaitlistEntry(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        OFFERED = "offered", "Offered: seats held for this user"
        FULFILLED = "fulfilled", "Fulfilled: the offer was booked"
        EXPIRED = "expired", "Expired: the offer lapsed or was released"
        LEFT = "left", "Left the waitlist"
        CLOSED = "closed", "Closed: the showtime was cancelled"

    LIVE = (Status.WAITING, Status.OFFERED)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    slot = models.ForeignKey(
        "scheduling.Slot", on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    quantity = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.WAITING)
    skipped = models.PositiveSmallIntegerField(
        default=0, help_text="Times a later, smaller entry was served ahead of this one."
    )
    # The offer's hold id, not a foreign key: deleting a hold (confirm, release, expiry) stays a
    # bookings-only write that never touches or locks waitlist rows.
    offered_hold_id = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    offered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "waitlist entries"
        indexes = [models.Index(fields=["slot", "status", "created_at", "id"])]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "slot"],
                condition=Q(status__in=["waiting", "offered"]),
                name="waitlist_one_live_entry_per_user_slot",
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1) & Q(quantity__lte=MAX_QUANTITY),
                name="waitlist_entry_quantity_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} x{self.quantity} on slot {self.slot_id} ({self.status})"


class WaitlistQueue(models.Model):
    """The promotion mutex of one slot: promotion locks this row with SKIP LOCKED, so at most
    one promotion of a slot runs at a time and a second one steps aside instead of waiting."""

    slot = models.OneToOneField(
        "scheduling.Slot", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    last_promoted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"waitlist of slot {self.slot_id}"
