"""Start promotion when places free up: the booking engine's announcements and slot edits."""

import logging

from django.dispatch import receiver

from apps.bookings import events as booking_events
from apps.scheduling import signals as scheduling_signals

from . import selectors, services
from .tasks import promote_slot

logger = logging.getLogger(__name__)


@receiver(booking_events.seats_freed)
def promote_on_seats_freed(sender, slot_id: int, **kwargs) -> None:
    """Release, expiry (offers included) or cancellation freed places: offer them."""
    if selectors.slot_has_live_entries(slot_id):
        promote_slot.delay(slot_id)


@receiver(scheduling_signals.slot_changed)
def promote_on_slot_change(sender, slot_id: int, **kwargs) -> None:
    """An organizer raised the capacity (or the layout grew): promote, after the commit."""
    if selectors.slot_has_live_entries(slot_id):
        try:
            promote_slot.delay(slot_id)
        except Exception:  # never fail the organizer's edit; the periodic pass retries
            logger.exception("Waitlist promotion failed", extra={"slot_id": slot_id})


@receiver(booking_events.booking_made)
def fulfil_offer(sender, booking, **kwargs) -> None:
    services.offers_fulfil(
        user_id=booking.user_id, slot_id=booking.slot_id, booked_at=booking.created_at
    )
