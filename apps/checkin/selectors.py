"""Reads of the door: which showtimes a staff member works, windows, figures, lists."""

import hashlib
from datetime import datetime, timedelta

from django.core.exceptions import ObjectDoesNotExist
from django.db import connection
from django.db.models import QuerySet

from apps.accounts.permissions import staff_organizer_ids, team_role
from apps.bookings.models import Booking, Ticket
from apps.bookings.tickets import qr_text
from apps.scheduling.models import Slot

from .models import CheckinRules, Scan

# The door opens this long before the start unless the showtime says otherwise.
DEFAULT_OPENS_BEFORE = timedelta(hours=2)


def staff_slots(user) -> QuerySet[Slot]:
    """The showtimes whose door `user` may work: its own organizer's, its team's."""
    ids = staff_organizer_ids(user)
    # The door's own settings come along (LEFT JOINs), so a scan reads them for free.
    slots = Slot.objects.select_related("event__checkin_rules", "screen__venue", "checkin_window")
    return slots if ids is None else slots.filter(event__organizer_id__in=ids)


def door_slot(user, slot_id: int) -> Slot | None:
    """The showtime if `user` works its door, with only the columns a scan reads (its
    times, its event's organizer and re-entry rule, its window): every scan runs this."""
    ids = staff_organizer_ids(user)
    slots = Slot.objects.select_related("event__checkin_rules", "checkin_window").only(
        "starts_at",
        "ends_at",
        "event__organizer_id",
        "event__checkin_rules__reentry",
        "checkin_window__opens_at",
        "checkin_window__closes_at",
    )
    if ids is not None:
        slots = slots.filter(event__organizer_id__in=ids)
    return next(iter(slots.filter(pk=slot_id).order_by()[:1]), None)


def may_manage_door(user, slot: Slot) -> bool:
    """The organizer, an admin or a manager may change the door's rules; a scanner not."""
    return team_role(user, slot.event.organizer_id) in ("organizer", "manager")


def _related(obj, name: str):
    """A one-to-one row loaded with `obj` (or read now), None if there is none."""
    try:
        return getattr(obj, name)
    except ObjectDoesNotExist:
        return None


def window_of(slot: Slot) -> tuple[datetime, datetime]:
    window = _related(slot, "checkin_window")
    opens = window.opens_at if window and window.opens_at else slot.starts_at - DEFAULT_OPENS_BEFORE
    closes = window.closes_at if window and window.closes_at else slot.ends_at
    return opens, closes


def reentry_of(slot: Slot) -> bool:
    rules = _related(slot.event, "checkin_rules")
    return bool(rules and rules.reentry)


def reentry_of_event(event) -> bool:
    return CheckinRules.objects.filter(event=event, reentry=True).exists()


def door_tickets(slot: Slot) -> QuerySet[Ticket]:
    """The tickets this showtime's door may admit or has admitted (confirmed bookings)."""
    return Ticket.objects.filter(
        booking__slot=slot, booking__status=Booking.Status.CONFIRMED
    ).exclude(status=Ticket.Status.CANCELLED)


def door_counts(slot_id: int) -> dict:
    """Checked in (inside now), expected and double entries of a showtime's door, in one
    statement: it runs after every admission, so it is plain SQL, not an ORM query."""
    ticket, booking, scan = Ticket._meta.db_table, Booking._meta.db_table, Scan._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT COUNT(*), COALESCE(SUM(CASE WHEN t.status = %s THEN 1 ELSE 0 END), 0),
                   (SELECT COUNT(*) FROM {scan} WHERE slot_id = %s AND result = %s)
            FROM {ticket} t JOIN {booking} b ON b.id = t.booking_id
            WHERE b.slot_id = %s AND b.status = %s AND t.status <> %s
            """,  # noqa: S608 (table names from the models, values as parameters)
            [
                Ticket.Status.USED,
                slot_id,
                Scan.Result.DOUBLE_ENTRY,
                slot_id,
                Booking.Status.CONFIRMED,
                Ticket.Status.CANCELLED,
            ],
        )
        expected, checked_in, double_entries = cursor.fetchone()
    return {
        "slot": slot_id,
        "expected": expected,
        "checked_in": checked_in,
        "double_entries": double_entries,
    }


def checkin_figures(slot: Slot) -> dict:
    """Checked in (inside now) against expected, with the door's settings."""
    opens, closes = window_of(slot)
    return {
        **door_counts(slot.pk),
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
