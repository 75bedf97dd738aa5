"""Asynchronous entry points of the booking engine: each takes ids and calls one service."""

from celery import shared_task
from django.core.mail import send_mail

from . import services


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
def refund_payment(payment_id: int) -> None:
    services.payment_refund(payment_id)


@shared_task(name="bookings.send_booking_confirmation")
def send_booking_confirmation(booking_id: int) -> None:
    from .models import Booking

    booking = Booking.objects.select_related("user", "slot__event").filter(pk=booking_id).first()
    if booking is None:
        return
    seats = ", ".join(
        t.seat.label if t.seat else f"admission {t.number}"
        for t in booking.tickets.select_related("seat")
    )
    send_mail(
        subject=f"Your VENUE booking {booking.reference}",
        message=(
            f"Hello {booking.user.full_name or booking.user.email},\n\n"
            f"Booking {booking.reference} is confirmed: {booking.slot.event.title}, "
            f"{booking.slot.starts_at:%Y-%m-%d %H:%M} UTC.\n"
            f"Tickets: {seats}\nTotal: {booking.total}\n\n"
            "Show the QR codes from 'My bookings' at the door.\n"
        ),
        from_email=None,
        recipient_list=[booking.user.email],
    )
