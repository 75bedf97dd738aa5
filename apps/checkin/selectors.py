"""Reads of the door: which showtimes a staff member works, windows, figures, lists."""

import hashlib
from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet

from apps.accounts.permissions import staff_organizer_ids, team_role
from apps.bookings.models import Booking, Ticket
from apps.bookings.tickets import qr_text
from apps.scheduling.models import Slot

from .models import CheckinRules, CheckinWindow, Scan

# The door opens this long before the start unless the showtime says otherwise.
DEFAULT_OPENS_BEFORE = timedelta(hours=2)


def staff_slots(user) -> QuerySet[Slot]:
    """The showtimes whose door `user` may work: its own organizer's, its team's."""
    ids = staff_organizer_ids(user)
    slots = Slot.objects.select_related("event", "screen__venue")
    return slots if ids is None else slots.filter(event__organizer_id__in=ids)


def may_manage_door(user, slot: Slot) -> bool:
    """The organizer, an admin or a manager may change the door's rules; a scanner not."""
    return team_role(user, slot.event.organizer_id) in ("organizer", "manager")


def window_of(slot: Slot) -> tuple[datetime, datetime]:
    window = CheckinWindow.objects.filter(slot=slot).first()
    opens = window.opens_at if window and window.opens_at else slot.starts_at - DEFAULT_OPENS_BEFORE
    closes = window.closes_at if window and window.closes_at else slot.ends_at
    return opens, closes


def reentry_of(slot: Slot) -> bool:
    return CheckinRules.objects.filter(event_id=slot.event_id, reentry=True).exists()


def reentry_of_event(event) -> bool:
    return CheckinRules.objects.filter(event=event, reentry=True).exists()


def door_tickets(slot: Slot) -> QuerySet[Ticket]:
    """The tickets this showtime's door may admit or has admitted (confirmed bookings)."""
    return Ticket.objects.filter(
        booking__slot=slot, booking__status=Booking.Status.CONFIRMED
    ).exclude(status=Ticket.Status.CANCELLED)


def checkin_figures(slot: Slot) -> dict:
    """Checked in (inside now) against expected, with the door's settings."""
    counts = door_tickets(slot).aggregate(
        expected=Count("pk"), checked_in=Count("pk", filter=Q(status=Ticket.Status.USED))
    )
    opens, closes = window_of(slot)
    return {
        "slot": slot.pk,
        "expected": counts["expected"],
        "checked_in": counts["checked_in"],
        "double_entries": Scan.objects.filter(slot=slot, result=Scan.Result.DOUBLE_ENTRY).count(),
        "opens_at": opens,
        "closes_at": closes,
        "reentry": reentry_of(slot),
    }


def qr_key(text: str) -> str:
    """What an offline gate looks a scanned text up by: a hash, never the text itself, so
    the downloaded list cannot be turned back into tickets."""
    return hashlib.sha256(text.strip().upper().encode()).hexdigest()[:24]


def checkin_list(slot: Slot) -> dict:
    """Everything an offline gate needs, and no personal data: per ticket the hash of
    its QR text, its booking reference, number, seat and category, and its status."""
    tickets = door_tickets(slot).select_related("booking", "seat").order_by("booking_id", "number")
    opens, closes = window_of(slot)
    return {
        "slot": slot.pk,
        "starts_at": slot.starts_at,
        "opens_at": opens,
        "closes_at": closes,
        "reentry": reentry_of(slot),
        "tickets": [
            {
                "key": qr_key(qr_text(ticket)),
                "booking_reference": ticket.booking.reference,
                "number": ticket.number,
                "seat_label": ticket.seat.label if ticket.seat else None,
                "category": ticket.seat.category if ticket.seat else "general",
                "status": ticket.status,
            }
            for ticket in tickets
        ],
    }


def double_entries(slot: Slot) -> QuerySet[Scan]:
    """Tickets admitted at two gates while offline: each conflict with the admission it
    lost to (the earliest scan wins)."""
    return (
        Scan.objects.filter(slot=slot, result=Scan.Result.DOUBLE_ENTRY)
        .select_related("ticket__booking", "ticket__seat", "conflict_with", "staff")
        .order_by("scanned_at")
    )
