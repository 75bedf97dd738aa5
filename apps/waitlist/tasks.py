"""Asynchronous entry points of the waitlist: each takes ids and calls one service."""

from celery import shared_task

from apps.core.mail import send_templated

from . import services


@shared_task(name="waitlist.promote_slot")
def promote_slot(slot_id: int) -> int:
    return len(services.waitlist_promote(slot_id=slot_id))


@shared_task(name="waitlist.promote_waiting")
def promote_waiting() -> int:
    return services.waitlist_promote_all()


@shared_task(name="waitlist.send_offer_email")
def send_offer_email(entry_id: int) -> None:
    from apps.bookings.models import Hold

    from .models import WaitlistEntry

    entry = (
        WaitlistEntry.objects.select_related("user", "slot__event", "slot__screen__venue")
        .filter(pk=entry_id)
        .first()
    )
    hold = Hold.objects.filter(pk=entry.offered_hold_id).first() if entry else None
    if entry is None or hold is None:
        return
    seats = ", ".join(
        hold.claims.select_related("seat").order_by("seat_id").values_list("seat__label", flat=True)
    )
    venue = entry.slot.screen.venue
    send_templated(
        "waitlist/email/offer",
        {
            "name": entry.user.full_name or entry.user.email,
            "event": entry.slot.event,
            "venue": venue,
            "starts": entry.slot.starts_at,
            "zone": venue.timezone,
            "seats": seats,
            "hold": hold,
        },
        to=[entry.user.email],
        tz=venue.tzinfo,
    )


@shared_task(name="waitlist.send_closed_email")
def send_closed_email(entry_id: int) -> None:
    """Tell a waiting customer the showtime was cancelled, in the venue's time zone."""
    from .models import WaitlistEntry

    entry = (
        WaitlistEntry.objects.select_related("user", "slot__event", "slot__screen__venue")
        .filter(pk=entry_id, status=WaitlistEntry.Status.CLOSED)
        .first()
    )
    if entry is None:
        return
    venue = entry.slot.screen.venue
    send_templated(
        "waitlist/email/closed",
        {
            "name": entry.user.full_name or entry.user.email,
            "event": entry.slot.event,
            "venue": venue,
            "starts": entry.slot.starts_at,
            "zone": venue.timezone,
        },
        to=[entry.user.email],
        tz=venue.tzinfo,
    )
