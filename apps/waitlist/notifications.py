"""Telling a user about an offer: an email (Celery task) and their live channel when it exists.

Call only after the offer committed (from `transaction.on_commit`).
"""

import logging

from apps.bookings import realtime

from .models import WaitlistEntry

logger = logging.getLogger(__name__)


def offer_message(entry: WaitlistEntry, hold) -> dict:
    """What the user's live channel gets (`/ws/me/` on the live seat map branch)."""
    return {
        "type": "waitlist_offer",
        "slot": entry.slot_id,
        "hold": hold.pk,
        "quantity": hold.quantity,
        "seats": sorted(hold.claims.values_list("seat_id", flat=True)),
        "total": str(hold.total),
        "expires_at": hold.expires_at.isoformat().replace("+00:00", "Z"),
    }


def offer_made(entry_id: int) -> None:
    from apps.bookings.models import Hold

    from .tasks import send_offer_email

    entry = WaitlistEntry.objects.filter(pk=entry_id).first()
    hold = Hold.objects.filter(pk=entry.offered_hold_id).first() if entry else None
    if entry is None or hold is None:  # declined or lapsed already: nothing to tell
        return
    try:
        realtime.notify_user(entry.user_id, offer_message(entry, hold))
    except Exception:  # the channel layer is down: the email and GET holds/ still tell
        logger.warning("Waitlist offer not pushed", extra={"entry": entry_id}, exc_info=True)
    send_offer_email.delay(entry_id)


def line_closed(entry_ids: list[int]) -> None:
    """Tell each person whose place in a line was closed (the showtime was cancelled)."""
    from .tasks import send_closed_email

    for entry in WaitlistEntry.objects.filter(pk__in=entry_ids).only("pk", "user_id", "slot_id"):
        try:
            realtime.notify_user(entry.user_id, {"type": "waitlist_closed", "slot": entry.slot_id})
        except Exception:  # the channel layer is down: the email still tells
            logger.warning("Waitlist closing not pushed", extra={"entry": entry.pk}, exc_info=True)
        send_closed_email.delay(entry.pk)
