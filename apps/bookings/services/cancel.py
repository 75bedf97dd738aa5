"""Cancel a confirmed booking: seats free at once, the payment refunded after commit."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.core.db import db_now, require_transaction
from apps.scheduling.models import Slot

from .. import errors, events
from ..models import Booking, GeneralInventory, Payment, Ticket
from .holds import Released

logger = logging.getLogger("apps.bookings.services")


def booking_cancel(*, booking_id: int, user=None, by_organizer: bool = False, by=None) -> Booking:
    """Cancel a confirmed booking before its showtime: seats free at once, refund queued.

    `user=None` is the admin path (any booking). `by_organizer`: the organizer cancels
    (its showtime is called off), so the customers' cancellation cut-off does not apply.
    `by`: who cancels, when not `user` (the admin, the organizer who called it off), for
    the ledger."""
    with transaction.atomic(durable=True):
        bookings = Booking.objects.select_for_update().filter(pk=booking_id)
        if user is not None:
            bookings = bookings.filter(user=user)
        booking = bookings.first()
        if booking is None:
            raise errors.BookingNotFound()
        if booking.status == Booking.Status.CANCELLED:
            raise errors.AlreadyCancelled()
        now = db_now()
        slot = Slot.objects.get(pk=booking.slot_id)
        cutoff = slot.starts_at - timedelta(minutes=settings.VENUE_CANCEL_CUTOFF_MINUTES)
        if now >= cutoff and not by_organizer:
            raise errors.CancellationClosed()
        seat_ids = tuple(sorted(booking.claims.values_list("seat_id", flat=True)))
        if seat_ids:
            booking.claims.all().delete()
            released = Released(slot.pk, seat_ids=seat_ids)
        else:
            GeneralInventory.objects.filter(slot_id=slot.pk).update(
                available=F("available") + booking.quantity
            )
            released = Released(slot.pk, quantity=booking.quantity)
        booking.status = Booking.Status.CANCELLED
        booking.cancelled_at = now
        booking.cancelled_by = by or user
        booking.save(update_fields=["status", "cancelled_at", "cancelled_by"])
        booking.tickets.update(status=Ticket.Status.CANCELLED)  # their QR texts admit no one
        refunds = list(
            booking.payments.filter(status=Payment.Status.SUCCEEDED).values_list("pk", flat=True)
        )
        Payment.objects.filter(pk__in=refunds).update(
            status=Payment.Status.REFUND_PENDING, updated_at=timezone.now()
        )
        transaction.on_commit(
            lambda: events.booking_cancelled(booking, released, refunds, tell=not by_organizer),
            robust=True,
        )
    return booking


def ticket_status_move(*, ticket_id: int, to: str, only_from: str) -> bool:
    """Move one ticket from `only_from` to `to` if it is there now; True if it moved.

    For the door (`checkin`), inside its transaction: a compare-and-set on the row, so
    of two gates admitting one ticket at once exactly one moves it (the other waits on
    the row lock, then finds it `used`)."""
    require_transaction()
    return bool(Ticket.objects.filter(pk=ticket_id, status=only_from).update(status=to))
