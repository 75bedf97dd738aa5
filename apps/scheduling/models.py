"""Slots (showtimes), their prices, and the rules and jobs that generate them."""

from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q

from apps.catalog.models import Event, Screen, category_validator


class Seating(models.TextChoices):
    RESERVED = "reserved", "Reserved seating"
    GENERAL = "general", "General admission"


class SlotStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CANCELLED = "cancelled", "Cancelled"


GENERAL_CATEGORY = "general"


class ScheduleRule(models.Model):
    """How to generate slots: fixed start times, or showtimes packed into opening hours."""

    class Mode(models.TextChoices):
        TIMES = "times", "Fixed start times"
        PACK = "pack", "Pack opening hours"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="schedule_rules")
    screen = models.ForeignKey(Screen, on_delete=models.CASCADE, related_name="schedule_rules")
    name = models.CharField(max_length=100, blank=True)
    mode = models.CharField(max_length=8, choices=Mode.choices)
    date_from = models.DateField()
    date_to = models.DateField()
    weekdays = models.JSONField(default=list, help_text="ISO weekdays 1 (Monday) to 7 (Sunday).")
    start_times = models.JSONField(default=list, blank=True, help_text='"HH:MM" local times.')
    opening_time = models.TimeField(null=True, blank=True, help_text="Default: the screen's.")
    closing_time = models.TimeField(null=True, blank=True, help_text="Default: the screen's.")
    duration_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Default: the movie's runtime."
    )
    buffer_minutes = models.PositiveSmallIntegerField(
        default=20, validators=[MaxValueValidator(240)]
    )
    seating = models.CharField(max_length=16, choices=Seating.choices, default=Seating.RESERVED)
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="General admission.")
    prices = models.JSONField(
        default=dict, help_text="Category to price, e.g. {'standard': '9.50'}"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(date_to__gte=F("date_from")), name="scheduling_rule_dates_ordered"
            ),
        ]

    def __str__(self) -> str:
        return self.name or f"{self.get_mode_display()} {self.date_from}..{self.date_to}"


class GenerationJob(models.Model):
    """One run of a rule, so the caller can follow its progress."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    rule = models.ForeignKey(ScheduleRule, on_delete=models.CASCADE, related_name="jobs")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveIntegerField(default=0, help_text="Showtimes the rule describes.")
    created = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0, help_text="Already there, or in the past.")
    conflicted = models.PositiveIntegerField(default=0, help_text="Overlap another slot.")
    conflicts = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"job {self.pk} ({self.status})"


class Slot(models.Model):
    """A showtime of an event on a screen. Two live slots of one screen never overlap.

    PostgreSQL enforces that with an exclusion constraint (see migration 0002);
    `services.slot_create` checks it too, under a lock on the screen, on every backend.
    """

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="slots")
    screen = models.ForeignKey(Screen, on_delete=models.PROTECT, related_name="slots")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    seating = models.CharField(max_length=16, choices=Seating.choices)
    capacity = models.PositiveIntegerField()
    sales_open_at = models.DateTimeField(null=True, blank=True, help_text="Empty: on sale now.")
    sales_close_at = models.DateTimeField(null=True, blank=True, help_text="Empty: at start.")
    status = models.CharField(
        max_length=16, choices=SlotStatus.choices, default=SlotStatus.SCHEDULED
    )
    seatmap_version = models.PositiveBigIntegerField(default=0)
    rule = models.ForeignKey(
        ScheduleRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="slots"
    )
    # This showtime's own prices of the event's further ticket types, overriding theirs:
    # {"<type code>": {"<category>": "<price>"}} (the first type's are `prices`).
    type_prices = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["event", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="scheduling_slot_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(capacity__gte=0), name="scheduling_slot_capacity_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(seating__in=Seating.values), name="scheduling_slot_seating_valid"
            ),
            models.CheckConstraint(
                condition=Q(sales_open_at__isnull=True)
                | Q(sales_close_at__isnull=True)
                | Q(sales_close_at__gt=F("sales_open_at")),
                name="scheduling_slot_sales_window_ordered",
            ),
            models.UniqueConstraint(
                fields=["screen", "starts_at"],
                condition=~Q(status=SlotStatus.CANCELLED),
                name="scheduling_slot_unique_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} @ {self.starts_at:%Y-%m-%d %H:%M}"


class SlotPrice(models.Model):
    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="prices")
    category = models.CharField(max_length=32, validators=[category_validator])
    price = models.DecimalField(max_digits=8, decimal_places=2)

    class Meta:
        ordering = ["slot_id", "category"]
        constraints = [
            models.UniqueConstraint(fields=["slot", "category"], name="scheduling_price_unique"),
            models.CheckConstraint(condition=Q(price__gte=0), name="scheduling_price_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.category}: {self.price}"


class TicketType(models.Model):
    """A kind of ticket an event sells: adult, child, senior, student...

    The first type (lowest `position`) is the full price: a showtime's own prices
    (`SlotPrice`). Every further type has a price per seat category for the whole event
    (`prices`, {"<category>": "<price>"}), which a showtime may override
    (`Slot.type_prices`); a type with no price for a category is not sold in it. An event
    without types sells one, `standard` (`ticket_types.STANDARD`)."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="ticket_types")
    code = models.CharField(max_length=32, validators=[category_validator])
    name = models.CharField(max_length=64)
    position = models.PositiveSmallIntegerField(default=0)
    prices = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["event_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "code"], name="scheduling_ticket_type_code"),
        ]

    def __str__(self) -> str:
        return self.name
