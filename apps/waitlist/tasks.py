"""Asynchronous entry points of the waitlist: each takes ids and calls one service."""

from celery import shared_task
from django.core.mail import send_mail

from . import services


@shared_task(name="waitlist.promote_slot")
def promote_slot(slot_id: int) -> int:
    return len(services.waitlist_promote(slot_id))


@shared_task(name="waitlist.promote_waiting")
def promote_waiting() -> int:
    return services.waitlist_promote_all()


@shared_task(name="waitlist.send_offer_email")
def send_offer_email(entry_id: int) -> None:
    from apps.bookings.models import Hold

    from .models import WaitlistEntry

    entry = WaitlistEntry.objects.select_related("user", "slot__event").filter(pk=entry_id).first()
    hold = Hold.objects.filter(pk=entry.offered_hold_id).first() if entry else None
    if entry is None or hold is None:
        return
    seats = ", ".join(
        hold.claims.select_related("seat").order_by("seat_id").values_list("seat__label", flat=True)
    )
    where = f"Seats: {seats}" if seats else f"Places: {hold.quantity}"
    send_mail(
        subject=f"Seats for {entry.slot.event.title} are held for you",
        message=(
            f"Hello {entry.user.full_name or entry.user.email},\n\n"
            f"Places freed up for {entry.slot.event.title}, "
            f"{entry.slot.starts_at:%Y-%m-%d %H:%M} UTC, and we are holding them in your name.\n"
            f"{where}\nTotal: {hold.total}\n"
            f"The offer is yours until {hold.expires_at:%H:%M} UTC: confirm hold {hold.pk} "
            "under 'Your holds' to book it. If you do not, it passes to the next person in line.\n"
        ),
        from_email=None,
        recipient_list=[entry.user.email],
    )
