"""Asynchronous entry points of the booking engine: each takes ids and calls one service."""

from celery import shared_task

from apps.core.mail import send_templated

from . import services
from .tickets import qr_png, qr_text


@shared_task(name="bookings.expire_holds")
def expire_holds() -> int:
    return services.holds_expire()


@shared_task(name="bookings.warn_expiring_holds")
def warn_expiring_holds() -> int:
    return services.holds_warn_expiring()


@shared_task(name="bookings.reconcile_payments")
def reconcile_payments() -> int:
    return services.payments_reconcile()


@shared_task(name="bookings.purge_idempotency_records")
def purge_idempotency_records() -> int:
    return services.idempotency_purge()


@shared_task(
    name="bookings.refund_payment", autoretry_for=(Exception,), retry_backoff=True, max_retries=8
)
def refund_payment(payment_id: int, notify: bool = False) -> None:
    """Refund through the provider; `notify`: then email the customer (a separate task, so
    a mail server that fails never runs the refund again)."""
    if services.payment_refund(payment_id=payment_id) and notify:
        send_refund_notice.delay(payment_id)


def _venue_context(slot) -> dict:
    venue = slot.screen.venue
    return {
        "event": slot.event,
        "venue": venue,
        "starts": slot.starts_at,
        "zone": venue.timezone,
    }


@shared_task(name="bookings.send_booking_cancellation")
def send_booking_cancellation(booking_id: int) -> None:
    """Email the customer that their booking is cancelled and what will be refunded."""
    from django.db.models import F, Sum

    from .models import Booking, Payment

    booking = (
        Booking.objects.select_related("user", "slot__event", "slot__screen__venue")
        .filter(pk=booking_id, status=Booking.Status.CANCELLED)
        .first()
    )
    if booking is None:
        return
    amount = booking.payments.filter(
        status__in=[Payment.Status.REFUND_PENDING, Payment.Status.REFUNDED]
    ).aggregate(total=Sum(F("amount") - F("refunded_in_part")))["total"]
    send_templated(
        "bookings/email/booking_cancelled",
        {
            "name": booking.user.full_name or booking.user.email,
            "booking": booking,
            "amount": amount,
            **_venue_context(booking.slot),
        },
        to=[booking.user.email],
        tz=booking.slot.screen.venue.tzinfo,
    )


@shared_task(name="bookings.send_refund_notice")
def send_refund_notice(payment_id: int) -> None:
    """Email the customer that a payment was refunded (of a cancelled booking, or a charge
    whose booking could not be made)."""
    from .models import Payment

    payment = (
        Payment.objects.select_related("user", "booking", "slot__event", "slot__screen__venue")
        .filter(pk=payment_id, status=Payment.Status.REFUNDED)
        .first()
    )
    if payment is None:
        return
    send_templated(
        "bookings/email/refund_issued",
        {
            "name": payment.user.full_name or payment.user.email,
            "payment": payment,
            "booking": payment.booking,
            "amount": payment.refund_left,
            **_venue_context(payment.slot),
        },
        to=[payment.user.email],
        tz=payment.slot.screen.venue.tzinfo,
    )


def _send_with_tickets(template: str, booking, **context) -> None:
    """Email the customer `template` about their booking, with each ticket's QR code
    inside the message, the showtime in the venue's time zone, the price line by line,
    and the tickets as a PDF and the showtime as an .ics file attached."""
    from . import documents
    from .selectors import price_breakdown

    venue = booking.slot.screen.venue
    tickets = list(booking.tickets.select_related("seat").order_by("number"))
    live = [t for t in tickets if t.status != t.Status.CANCELLED]
    seats = "; ".join(f"{t.label}: {t.price}" for t in live)
    # Each ticket's QR code inside the message, and its text for the door to type.
    door = [
        {
            "number": t.number,
            "label": t.label,
            "qr": qr_text(t),
            "cid": f"ticket-{booking.reference}-{t.number}",
        }
        for t in live
    ]
    pdf_name, ics_name = documents.filename(booking, "pdf"), documents.filename(booking, "ics")
    send_templated(
        template,
        {
            "name": booking.user.full_name or booking.user.email,
            "booking": booking,
            "event": booking.slot.event,
            "venue": venue,
            "starts": booking.slot.starts_at,
            "zone": venue.timezone,
            "seats": seats,
            "tickets": door,
            "pdf_name": pdf_name,
            "ics_name": ics_name,
            "breakdown": price_breakdown(booking),
            **context,
        },
        to=[booking.user.email],
        tz=venue.tzinfo,
        images={ticket["cid"]: qr_png(ticket["qr"]) for ticket in door},
        attachments=[
            (pdf_name, documents.tickets_pdf(booking, tickets=tickets), "application/pdf"),
            (ics_name, documents.booking_ics(booking, tickets=tickets), "text/calendar"),
        ],
    )


def _booking_for_email(booking_id: int):
    from .models import Booking

    return (
        Booking.objects.select_related("user", "slot__event", "slot__screen__venue")
        .filter(pk=booking_id)
        .first()
    )


@shared_task(name="bookings.send_booking_confirmation")
def send_booking_confirmation(booking_id: int) -> None:
    """Email the customer their booking and its tickets."""
    booking = _booking_for_email(booking_id)
    if booking is not None:
        _send_with_tickets("bookings/email/booking_confirmed", booking)


@shared_task(name="bookings.send_ticket_received")
def send_ticket_received(transfer_id: int, base_url: str) -> None:
    """Email a ticket's recipient the ticket and its new QR code (and a set-password
    link if the transfer made their account)."""
    from .transfer_emails import ticket_received_send

    ticket_received_send(transfer_id=transfer_id, base_url=base_url)


@shared_task(name="bookings.send_ticket_given")
def send_ticket_given(transfer_id: int) -> None:
    """Tell whoever gave a ticket away that it is done."""
    from .transfer_emails import ticket_given_send

    ticket_given_send(transfer_id=transfer_id)


@shared_task(name="bookings.send_transferred_tickets_cancelled")
def send_transferred_tickets_cancelled(booking_id: int, numbers: list[int] | None = None) -> int:
    """Tell the people given tickets of a cancelled booking (or the cancelled tickets
    `numbers` of it) that those no longer admit."""
    from .transfer_emails import transferred_tickets_cancelled_send

    return transferred_tickets_cancelled_send(booking_id=booking_id, numbers=numbers)


@shared_task(
    name="bookings.refund_partial", autoretry_for=(Exception,), retry_backoff=True, max_retries=8
)
def refund_partial(refund_id: int, notify: bool = False) -> None:
    """Make a partial refund at the provider; `notify`: then email the customer."""
    if services.partial_refund_run(refund_id=refund_id) and notify:
        send_partial_refund_notice.delay(refund_id)


@shared_task(name="bookings.send_partial_refund_notice")
def send_partial_refund_notice(refund_id: int) -> None:
    """Email the customer that part of a payment was refunded."""
    from .models import PartialRefund

    refund = (
        PartialRefund.objects.select_related(
            "payment", "booking__user", "slot__event", "slot__screen__venue"
        )
        .filter(pk=refund_id, status=PartialRefund.Status.REFUNDED)
        .first()
    )
    if refund is None:
        return
    user = refund.booking.user
    send_templated(
        "bookings/email/refund_issued",
        {
            "name": user.full_name or user.email,
            "payment": refund.payment,
            "booking": refund.booking,
            "amount": refund.amount,
            **_venue_context(refund.slot),
        },
        to=[user.email],
        tz=refund.slot.screen.venue.tzinfo,
    )


@shared_task(name="bookings.send_tickets_cancelled")
def send_tickets_cancelled(booking_id: int, numbers: list[int]) -> None:
    """Email the customer which tickets of their booking are cancelled, and the refund."""
    from .models import Booking

    booking = (
        Booking.objects.select_related("user", "slot__event", "slot__screen__venue")
        .filter(pk=booking_id)
        .first()
    )
    if booking is None:
        return
    tickets = list(
        booking.tickets.select_related("seat").filter(number__in=numbers).order_by("number")
    )
    send_templated(
        "bookings/email/tickets_cancelled",
        {
            "name": booking.user.full_name or booking.user.email,
            "booking": booking,
            "tickets": [
                {
                    "number": t.number,
                    "label": t.label,
                    "price": t.price,
                }
                for t in tickets
            ],
            "amount": sum(t.price for t in tickets),
            **_venue_context(booking.slot),
        },
        to=[booking.user.email],
        tz=booking.slot.screen.venue.tzinfo,
    )


@shared_task(name="bookings.send_booking_moved")
def send_booking_moved(move_id: int) -> None:
    """Email the customer their booking's new showtime and seats, with the new tickets
    (the old ones no longer admit) and what was refunded."""
    from .models import BookingMove

    move = BookingMove.objects.select_related("from_slot__screen__venue").filter(pk=move_id).first()
    if move is None:
        return
    booking = _booking_for_email(move.booking_id)
    if booking is None or booking.slot_id != move.to_slot_id:
        return  # moved again since: that move's email tells
    _send_with_tickets(
        "bookings/email/booking_moved",
        booking,
        move=move,
        was=move.from_slot.starts_at,
        same_venue=move.from_slot.screen.venue_id == booking.slot.screen.venue_id,
    )
