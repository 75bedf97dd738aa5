"""What happens after a booking transaction commits: live seat-map updates, emails,
refunds, and the `seats_freed` announcement the waitlist listens to.

Call these only from `transaction.on_commit` (or outside any transaction).
"""

import logging

from django.dispatch import Signal

from apps.core import metrics

from . import realtime

logger = logging.getLogger(__name__)

# Sent with `slot_id` whenever places of a slot become free (release, expiry, cancellation).
# The bookings app never imports the waitlist: the waitlist connects here.
seats_freed = Signal()
# Sent with `booking` after a booking commits (the waitlist marks an offer fulfilled).
booking_made = Signal()
# Sent with `booking` after a booking's cancellation commits (the door recounts).
booking_voided = Signal()
# Sent with `ticket_id` and `slot_id` after a ticket's QR text changed (a transfer): the
# door's offline lists still hold the old one.
ticket_reissued = Signal()
# Sent with `booking` (now on its new showtime) and `from_slot_id` after a move commits:
# both doors recount, and the old one's gates drop the old QR texts.
booking_relocated = Signal()


def _announce_freed(slot_id: int) -> None:
    try:
        seats_freed.send(sender=None, slot_id=slot_id)
    except Exception:
        logger.exception("A seats_freed receiver failed", extra={"slot_id": slot_id})


def hold_created(hold, seat_ids) -> None:
    metrics.holds_created.inc()
    realtime.publish(hold.slot_id, dict.fromkeys(seat_ids, "held"))


def seats_released(released, *, expired: bool = False) -> None:
    if expired:
        metrics.holds_expired.inc()
    realtime.publish(released.slot_id, dict.fromkeys(released.seat_ids, "available"))
    if expired and released.user_id is not None:
        realtime.notify_user(
            released.user_id,
            {"type": "hold_expired", "hold": released.hold_id, "slot": released.slot_id},
        )
    _announce_freed(released.slot_id)


def hold_expiring(*, hold_id: int, user_id: int, slot_id: int, expires_at) -> None:
    realtime.notify_user(
        user_id,
        {
            "type": "hold_expiring",
            "hold": hold_id,
            "slot": slot_id,
            "expires_at": expires_at.isoformat().replace("+00:00", "Z"),
        },
    )


def booking_confirmed(booking, seat_ids) -> None:
    booking_made.send_robust(sender=None, booking=booking)  # receivers' errors are logged
    from .tasks import send_booking_confirmation

    metrics.bookings_confirmed.inc()
    realtime.publish(booking.slot_id, dict.fromkeys(seat_ids, "booked"))
    realtime.notify_user(
        booking.user_id,
        {
            "type": "booking_confirmed",
            "booking": booking.pk,
            "reference": booking.reference,
            "slot": booking.slot_id,
        },
    )
    send_booking_confirmation.delay(booking.pk)


def booking_cancelled(booking, released, refund_payment_ids, *, tell: bool = True) -> None:
    """`tell`: email the customer the cancellation and, once it is through, the refund.
    False when the organizer cancelled: its job writes the customers its own email."""
    seats_released(released)
    booking_voided.send_robust(sender=None, booking=booking)  # receivers' errors are logged
    if tell:
        from .tasks import send_booking_cancellation

        send_booking_cancellation.delay(booking.pk)
    for payment_id in refund_payment_ids:
        refund_requested(payment_id, notify=tell)
    if booking.tickets.filter(holder__isnull=False).exists():
        from .tasks import send_transferred_tickets_cancelled

        # Whoever cancelled, the people given its tickets are told they no longer admit.
        send_transferred_tickets_cancelled.delay(booking.pk)


def tickets_cancelled(booking, released, refund, *, numbers, tell: bool = True) -> None:
    """Some tickets of a booking were cancelled: their seats are free, the door recounts,
    the refund is queued; the customer is emailed what was cancelled (`tell`)."""
    seats_released(released)
    booking_voided.send_robust(sender=None, booking=booking)
    if refund is not None:
        partial_refund_requested(refund.pk, notify=tell)
    if tell:
        from .tasks import send_tickets_cancelled

        send_tickets_cancelled.delay(booking.pk, list(numbers))
    if booking.tickets.filter(number__in=numbers, holder__isnull=False).exists():
        from .tasks import send_transferred_tickets_cancelled

        # Whoever was given one of them is told it no longer admits.
        send_transferred_tickets_cancelled.delay(booking.pk, list(numbers))


def booking_moved(booking, move, released, seat_ids, refund) -> None:
    """A booking moved to another showtime: both seat maps change, both doors recount,
    the old QR texts stop admitting, the customer is emailed, a difference refunded."""
    seats_released(released)
    realtime.publish(booking.slot_id, dict.fromkeys(seat_ids, "booked"))
    booking_relocated.send_robust(sender=None, booking=booking, from_slot_id=move.from_slot_id)
    if refund is not None:
        partial_refund_requested(refund.pk, notify=False)  # the move's email says it
    from .tasks import send_booking_moved

    send_booking_moved.delay(move.pk)


def partial_refund_requested(refund_id: int, *, notify: bool = True) -> None:
    from .tasks import refund_partial

    refund_partial.delay(refund_id, notify)


def ticket_transferred(transfer, *, slot_id: int, base_url: str) -> None:
    """Both people are emailed; the door hears that the ticket's QR text changed."""
    from .tasks import send_ticket_given, send_ticket_received

    ticket_reissued.send_robust(sender=None, ticket_id=transfer.ticket_id, slot_id=slot_id)
    send_ticket_received.delay(transfer.pk, base_url)
    send_ticket_given.delay(transfer.pk)


def refund_requested(payment_id: int, *, notify: bool = True) -> None:
    """Queue the refund; `notify`: email the customer once the provider has refunded."""
    from .tasks import refund_payment

    refund_payment.delay(payment_id, notify)
