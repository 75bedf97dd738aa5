"""Movies, events, venues, screens and their seats. The catalog knows nothing of slots."""

import zoneinfo

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from apps.core.validators import validate_timezone

MAX_TICKETS_CAP = 100  # the highest per-customer ticket cap an organizer may set
# The currencies an event may sell in (ISO 4217): those with cents, as prices have two
# decimal places.
CURRENCIES = [
    ("EUR", "Euro"),
    ("USD", "US dollar"),
    ("GBP", "Pound sterling"),
    ("CHF", "Swiss franc"),
    ("SEK", "Swedish krona"),
    ("NOK", "Norwegian krone"),
    ("DKK", "Danish krone"),
    ("PLN", "Polish złoty"),
    ("CZK", "Czech koruna"),
    ("CAD", "Canadian dollar"),
    ("AUD", "Australian dollar"),
    ("NZD", "New Zealand dollar"),
    ("BRL", "Brazilian real"),
    ("MXN", "Mexican peso"),
    ("INR", "Indian rupee"),
    ("ZAR", "South African rand"),
]


def default_currency() -> str:
    """A new event's currency: the site's (`VENUE_CURRENCY`)."""
    return settings.VENUE_CURRENCY


category_validator = RegexValidator(
    r"^[a-z][a-z0-9_-]{0,31}$",
    "A category is a short lower-case word such as standard, premium or accessible.",
)


class MovieFormat(models.TextChoices):
    TWO_D = "2D", "2D"
    THREE_D = "3D", "3D"
    IMAX = "IMAX", "IMAX"
    FOUR_DX = "4DX", "4DX"
    DOLBY = "DOLBY", "Dolby Cinema"


class Movie(models.Model):
    title = models.CharField(max_length=200)
    synopsis = models.TextField(blank=True)
    runtime_minutes = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(1000)]
    )
    rating = models.CharField(max_length=16, blank=True, help_text="e.g. PG-13, 12A, R")
    language = models.CharField(max_length=32, blank=True)
    genres = models.JSONField(default=list, blank=True, help_text="A list of genre names.")
    formats = models.JSONField(default=list, blank=True, help_text="A list of 2D, 3D, IMAX, ...")
    poster = models.FileField(upload_to="posters/", blank=True, help_text="Re-encoded image.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="movies",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(runtime_minutes__gte=1) & Q(runtime_minutes__lte=1000),
                name="catalog_movie_runtime_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class EventType(models.TextChoices):
    MOVIE = "movie", "Movie"
    CONCERT = "concert", "Concert"
    PLAY = "play", "Play"


class EventStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    CANCELLED = "cancelled", "Cancelled"


class Event(models.Model):
    type = models.CharField(max_length=16, choices=EventType.choices)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    banner = models.FileField(upload_to="banners/", blank=True, help_text="Re-encoded image.")
    organizer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="events"
    )
    city = models.CharField(max_length=100)
    status = models.CharField(max_length=16, choices=EventStatus.choices, default=EventStatus.DRAFT)
    movie = models.ForeignKey(
        Movie, null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    # The most tickets one customer may hold and have booked across the event's showtimes
    # (null: no cap). Enforced when seats are held (`bookings.services.limits`).
    max_tickets_per_customer = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_TICKETS_CAP)],
        help_text="Most tickets one customer may hold and book for this event; empty: no cap.",
    )
    # What a booking adds to the tickets' prices, and the tax in them (`bookings.pricing`).
    booking_fee_per_ticket = models.DecimalField(
        max_digits=8, decimal_places=2, default=0, help_text="Added to each ticket."
    )
    booking_fee_per_order = models.DecimalField(
        max_digits=8, decimal_places=2, default=0, help_text="Added once to each order."
    )
    tax_rate = models.DecimalField(
        max_digits=5, decimal_places=2, default=0, help_text="Percent, e.g. 23.00 for 23%."
    )
    prices_include_tax = models.BooleanField(
        default=True, help_text="Prices shown include the tax (else it is added at checkout)."
    )
    # The refund policy: whether a customer who cancels gets the booking fees back too
    # (an organizer's or staff's cancellation always gives everything back).
    refund_fees = models.BooleanField(
        default=True, help_text="Customers who cancel get the booking fees back too."
    )
    # What its prices are in: holds, bookings and payments carry it (`bookings.pricing`).
    currency = models.CharField(max_length=3, choices=CURRENCIES, default=default_currency)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "type"]), models.Index(fields=["city"])]
        constraints = [
            models.CheckConstraint(
                condition=(Q(type=EventType.MOVIE) & Q(movie__isnull=False))
                | (~Q(type=EventType.MOVIE) & Q(movie__isnull=True)),
                name="catalog_event_movie_iff_movie_type",
            ),
            models.CheckConstraint(
                condition=Q(type__in=EventType.values), name="catalog_event_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=EventStatus.values), name="catalog_event_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(max_tickets_per_customer__isnull=True)
                | Q(max_tickets_per_customer__gte=1, max_tickets_per_customer__lte=MAX_TICKETS_CAP),
                name="catalog_event_ticket_cap_range",
            ),
            models.CheckConstraint(
                condition=Q(booking_fee_per_ticket__gte=0, booking_fee_per_order__gte=0),
                name="catalog_event_fees_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(tax_rate__gte=0, tax_rate__lte=100), name="catalog_event_tax_rate_range"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Venue(models.Model):
    name = models.CharField(max_length=200)
    address = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=100)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    organizer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="venues"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organizer", "name"], name="catalog_venue_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.city})"

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class Screen(models.Model):
    """A screen or hall of a venue; its seats are its layout, its hours bound packed schedules."""

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="screens")
    name = models.CharField(max_length=100)
    opening_time = models.TimeField(default="10:00", help_text="Local time the doors open.")
    closing_time = models.TimeField(
        default="23:30", help_text="Local closing time; at or before opening means next day."
    )
    layout_version = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["venue_id", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["venue", "name"], name="catalog_screen_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.venue.name} / {self.name}"


class Seat(models.Model):
    """One seat of a screen's layout. Ids stay stable across layout edits (matched by label)."""

    screen = models.ForeignKey(Screen, on_delete=models.CASCADE, related_name="seats")
    label = models.CharField(max_length=16)
    row = models.CharField(max_length=8)
    number = models.PositiveSmallIntegerField()
    category = models.CharField(max_length=32, validators=[category_validator])
    x = models.PositiveSmallIntegerField(help_text="Column on the map; skipped columns are aisles.")
    y = models.PositiveSmallIntegerField(help_text="Row position on the map.")

    class Meta:
        ordering = ["screen_id", "y", "x", "id"]
        constraints = [
            models.UniqueConstraint(fields=["screen", "label"], name="catalog_seat_unique_label"),
            models.UniqueConstraint(fields=["screen", "x", "y"], name="catalog_seat_unique_xy"),
        ]

    def __str__(self) -> str:
        return self.label
