"""Cancel a confirmed booking, or some of its tickets: seats free at once, the payment
(or part of it) refunded after commit."""

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.core.db import db_now, require_transaction
from apps.scheduling.models import Slot

from .. import errors, events
from ..models import Booking, GeneralInventory, PartialRefund, Payment, Ticket
from .holds import Released

logger = logging.getLogger("apps.bookings.services")


def _booking_locked(*, booking_id: int, user, by_organizer: bool) -> tuple[Booking, Slot]:
    """Lock a confirmed booking that may still be cancelled (by `user`: only theirs,
    before the cut-off; the organizer and the admin at any time before it starts)."""
    bookings = Booking.objects.select_for_update().filter(pk=booking_id)
    if user is not None:
        bookings = bookings.filter(user=user)
    booking = bookings.first()
    if booking is None:
        raise errors.BookingNotFound()
    if booking.status == Booking.Status.CANCELLED:
        raise errors.AlreadyCancelled()
    slot = Slot.objects.select_related("event").get(pk=booking.slot_id)
    booking.now = db_now()
    cutoff = slot.starts_at - timedelta(minutes=settings.VENUE_CANCEL_CUTOFF_MINUTES)
    if booking.now >= cutoff and not by_organizer:
        raise errors.CancellationClosed()
    return booking, slot


def _keeps_fees(slot: Slot, *, user, by_organizer: bool) -> bool:
    """The refund policy: a customer's own cancellation keeps the booking fees when the
    event does not refund them; an organizer's or staff's gives everything back."""
    return user is not None and not by_organizer and not slot.event.refund_fees


def booking_cancel(
    *, booking_id: int, user=None, by_organizer: bool = False, by=None, tell: bool | None = None
) -> Booking:
    """Cancel a confirmed booking before its showtime: seats free at once, refund queued.

    `user=None` is the admin path (any booking). `by_organizer`: the organizer cancels
    (its showtime is called off), so the customers' cancellation cut-off does not apply.
    `by`: who cancels, when not `user` (the admin, the organizer who called it off), for
    the ledger. `tell`: email the customer (default: unless the organizer cancels, whose
    showtime job writes its own email)."""
    with transaction.atomic(durable=True):
        booking, slot = _booking_locked(booking_id=booking_id, user=user, by_organizer=by_organizer)
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
        booking.cancelled_at = booking.now
        booking.cancelled_by = by or user
        booking.save(update_fields=["status", "cancelled_at", "cancelled_by"])
        if _keeps_fees(slot, user=user, by_organizer=by_organizer):
            fees = sum(
                booking.tickets.exclude(status=Ticket.Status.CANCELLED).values_list(
                    "fee", flat=True
                ),
                Decimal("0.00"),
            )
            _fees_keep(booking, fees)
        booking.tickets.update(status=Ticket.Status.CANCELLED)  # their QR texts admit no one
        refunds = list(
            booking.payments.filter(status=Payment.Status.SUCCEEDED).values_list("pk", flat=True)
        )
        Payment.objects.filter(pk__in=refunds).update(
            status=Payment.Status.REFUND_PENDING, updated_at=timezone.now()
        )
        transaction.on_commit(
            lambda: events.booking_cancelled(
                booking, released, refunds, tell=not by_organizer if tell is None else tell
            ),
            robust=True,
        )
    return booking


@dataclass(frozen=True)
class TicketsCancelled:
    """What cancelling some tickets did: the booking as it is now, the tickets cancelled,
    and the partial refund it decided (None when nothing was paid for them)."""

    booking: Booking
    numbers: tuple[int, ...]
    amount: Decimal
    refund: PartialRefund | None


def booking_tickets_cancel(
    *, booking_id: int, numbers: list[int], user=None, by_organizer: bool = False, by=None
) -> TicketsCancelled:
    """Cancel some tickets of a confirmed booking: their seats (or places) free at once,
    what was paid for them is refunded after commit, the rest of the booking stands.

    The same rules as `booking_cancel` (`user`: the customer, before the cut-off;
    `by_organizer`: at any time before the showtime). A ticket already admitted at the
    door, or already cancelled, cannot be; a customer cannot cancel a ticket given to
    someone else (its organizer can). Cancelling every live ticket cancels the booking
    (`booking_cancel`): the full refund then gives back what is left."""
    wanted = sorted(set(numbers))
    if not wanted:
        raise errors.InvalidTickets("Name at least one ticket.")
    with transaction.atomic(durable=True):
        booking, slot = _booking_locked(booking_id=booking_id, user=user, by_organizer=by_organizer)
        tickets = {t.number: t for t in booking.tickets.select_for_update().order_by("number")}
        unknown = [n for n in wanted if n not in tickets]
        if unknown:
            raise errors.TicketNotFound(details={"tickets": unknown})
        chosen = [tickets[n] for n in wanted]
        for ticket in chosen:
            if ticket.status == Ticket.Status.USED:
                raise errors.TicketUsed(details={"ticket": ticket.number})
            if ticket.status == Ticket.Status.CANCELLED:
                raise errors.TicketCancelled(details={"ticket": ticket.number})
            if user is not None and ticket.holder_id not in (None, booking.user_id):
                raise errors.TicketGivenAway(details={"ticket": ticket.number})
        live = [t for t in tickets.values() if t.status != Ticket.Status.CANCELLED]
        whole = len(chosen) == len(live)
    if whole:
        cancelled = booking_cancel(
            booking_id=booking_id, user=user, by_organizer=by_organizer, by=by, tell=True
        )
        return TicketsCancelled(cancelled, tuple(wanted), sum(t.price for t in chosen), None)
    with transaction.atomic(durable=True):
        booking, slot = _booking_locked(booking_id=booking_id, user=user, by_organizer=by_organizer)
        chosen = list(
            booking.tickets.select_for_update()
            .filter(number__in=wanted, status=Ticket.Status.VALID)
            .order_by("number")
        )
        if len(chosen) != len(wanted) or len(chosen) >= booking.quantity:
            raise errors.TicketCancelled("The booking changed meanwhile; look again.")
        seat_ids = tuple(sorted(t.seat_id for t in chosen if t.seat_id))
        if seat_ids:
            booking.claims.filter(seat_id__in=seat_ids).delete()
            released = Released(slot.pk, seat_ids=seat_ids)
        else:
            GeneralInventory.objects.filter(slot_id=slot.pk).update(
                available=F("available") + len(chosen)
            )
            released = Released(slot.pk, quantity=len(chosen))
        Ticket.objects.filter(pk__in=[t.pk for t in chosen]).update(status=Ticket.Status.CANCELLED)
        price = sum((t.price for t in chosen), Decimal("0.00"))
        kept = Decimal("0.00")
        if _keeps_fees(slot, user=user, by_organizer=by_organizer):
            kept = _fees_keep(booking, sum((t.fee for t in chosen), Decimal("0.00")))
        amount = price - kept
        booking.quantity -= len(chosen)
        booking.total -= price
        booking.save(update_fields=["quantity", "total"])
        refund = partial_refund_decide(
            booking,
            amount=amount,
            reason=PartialRefund.Reason.TICKETS_CANCELLED,
            numbers=wanted,
            by=by or user,
        )
        transaction.on_commit(
            lambda: events.tickets_cancelled(
                booking, released, refund, numbers=tuple(wanted), tell=True
            ),
            robust=True,
        )
    return TicketsCancelled(booking, tuple(wanted), amount, refund)


def _fees_keep(booking: Booking, fees: Decimal) -> Decimal:
    """Inside the caller's transaction: the booking's payment keeps `fees` for good
    (`Payment.kept`; the database refuses keeping more than is left); return what was
    kept (nothing without a payment through VENUE)."""
    require_transaction()
    payment = (
        Payment.objects.select_for_update()
        .filter(booking=booking, status=Payment.Status.SUCCEEDED)
        .order_by("pk")
        .first()
    )
    if payment is None or fees <= 0:
        return Decimal("0.00")
    Payment.objects.filter(pk=payment.pk).update(kept=F("kept") + fees, updated_at=timezone.now())
    return fees


def partial_refund_decide(
    booking: Booking, *, amount: Decimal, reason: str, numbers=(), by=None
) -> PartialRefund | None:
    """Inside the caller's transaction (the booking locked): give back `amount` of the
    booking's payment. Raises the payment's `refunded_in_part` (the database refuses more
    than was paid) and writes the refund to make after commit; None if nothing to give."""
    require_transaction()
    if amount <= 0:
        return None
    payment = (
        Payment.objects.select_for_update()
        .filter(booking=booking, status=Payment.Status.SUCCEEDED)
        .order_by("pk")
        .first()
    )
    if payment is None:  # nothing was paid through VENUE (a booking made by staff)
        return None
    Payment.objects.filter(pk=payment.pk).update(
        refunded_in_part=F("refunded_in_part") + amount, updated_at=timezone.now()
    )
    return PartialRefund.objects.create(
        payment=payment,
        booking=booking,
        slot_id=booking.slot_id,
        amount=amount,
        reason=reason,
        ticket_numbers=list(numbers),
        by=by,
    )


def ticket_status_move(*, ticket_id: int, to: str, only_from: str) -> bool:
    """Move one ticket from `only_from` to `to` if it is there now; True if it moved.

    For the door (`checkin`), inside its transaction: a compare-and-set on the row, so
    of two gates admitting one ticket at once exactly one moves it (the other waits on
    the row lock, then finds it `used`)."""
    require_transaction()
    return bool(Ticket.objects.filter(pk=ticket_id, status=only_from).update(status=to))
