"""Door check-in: every scan at every gate, and the rules of a showtime's door.

A ticket's admission state lives on the ticket (`bookings.Ticket.status`: `valid`,
`used`, `cancelled`); moving it from `valid` to `used` is a compare-and-set on that
row, so a ticket admits once however many gates scan it at the same moment. `Scan`
keeps every scan, admitted or refused, online or uploaded later by an offline gate.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.bookings.models import Ticket
from apps.catalog.models import Event
from apps.scheduling.models import Slot


class CheckinRules(models.Model):
    """An event's door rules. No row: the defaults (no re-entry)."""

    event = models.OneToOneField(
        Event, primary_key=True, on_delete=models.CASCADE, related_name="checkin_rules"
    )
    reentry = models.BooleanField(
        default=False, help_text="An exit scan lets the same ticket in again."
    )

    def __str__(self) -> str:
        return f"door rules of event {self.event_id}"


class CheckinWindow(models.Model):
    """When a showtime's door admits. No row, or an empty bound: the default (from two
    hours before the start until the end, `selectors.DEFAULT_OPENS_BEFORE`)."""

    slot = models.OneToOneField(
        Slot, primary_key=True, on_delete=models.CASCADE, related_name="checkin_window"
    )
    opens_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True)
                | Q(closes_at__isnull=True)
                | Q(closes_at__gt=models.F("opens_at")),
                name="checkin_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"check-in window of showtime {self.slot_id}"


class ScanDirection(models.TextChoices):
    IN = "in", "Entry"
    OUT = "out", "Exit"


class ScanResult(models.TextChoices):
    ADMITTED = "admitted", "Admitted"
    EXITED = "exited", "Exited (re-entry allowed)"
    ALREADY_IN = "already_checked_in", "Already checked in"
    DOUBLE_ENTRY = "double_entry", "Double entry: admitted offline at two gates"
    NOT_IN = "not_checked_in", "Exit of a ticket that is not in"
    NO_REENTRY = "reentry_not_allowed", "Exit scan, but this event has no re-entry"
    WRONG_SHOWTIME = "wrong_showtime", "Ticket of another showtime"
    CANCELLED = "ticket_cancelled", "Cancelled ticket"
    CLOSED = "checkin_closed", "Outside the check-in window"
    INVALID = "invalid_ticket", "Forged or unreadable"


class Scan(models.Model):
    """One scan at a gate, with what the door answered."""

    Direction = ScanDirection
    Result = ScanResult

    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="scans")
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="scans"
    )
    gate = models.CharField(max_length=40)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    direction = models.CharField(max_length=3, choices=Direction.choices, default=Direction.IN)
    result = models.CharField(max_length=24, choices=Result.choices)
    scanned_at = models.DateTimeField(help_text="At the door: the gate's clock when offline.")
    recorded_at = models.DateTimeField(auto_now_add=True)
    offline = models.BooleanField(default=False)
    client_ref = models.CharField(
        max_length=64, blank=True, default="", help_text="The offline gate's id of this scan."
    )
    conflict_with = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["scanned_at", "id"]
        indexes = [
            models.Index(fields=["slot", "result", "scanned_at"]),
            models.Index(fields=["ticket", "result", "scanned_at"]),
        ]
        constraints = [
            # An offline gate's upload repeated (a retry, a second tab) records nothing twice.
            models.UniqueConstraint(
                fields=["slot", "client_ref"],
                condition=~Q(client_ref=""),
                name="checkin_scan_client_ref_once",
            ),
            models.CheckConstraint(
                condition=Q(result__in=ScanResult.values),
                name="checkin_scan_result_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.result} at {self.gate} ({self.scanned_at:%H:%M:%S})"
