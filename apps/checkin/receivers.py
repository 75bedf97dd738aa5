"""What the door does after changes commit: tell the live count, and tell the gates.

- `events.checkin_changed_signal` (a scan or a new window, with the counts read once
  after the commit): sent to the showtime's sockets (`consumers`, group
  `checkin.<slot id>`).
- `events.door_settings_changed_signal` (a window or the event's re-entry rule): the
  gates are told to download their list again, which carries the settings.
- A ticket given to someone else (`bookings.events.ticket_reissued`) has a new QR text:
  the gates are told to download their list again, since theirs holds the old one.
- A booking moved to another showtime (`bookings.events.booking_relocated`): both
  doors recount and both showtimes' gates download their lists again.
- A booking confirmed or cancelled changes what the door expects: its counts are
  read and sent, but only for a door somebody is watching now (`consumers.watched`),
  so selling tickets weeks ahead costs the booking path one cache read.

A failure here (the database, Redis) is logged, never raised: the change it follows
stands, and the scanner page falls back to polling.
"""

import logging

from django.dispatch import receiver

from apps.bookings import events as booking_events
from apps.bookings.realtime import _group_send

from . import events, selectors
from .consumers import figures_message, group_name, watched

logger = logging.getLogger(__name__)


@receiver(events.checkin_changed_signal)
def broadcast_figures(sender, slot_id: int, figures: dict, **kwargs) -> None:
    # `_group_send` logs and swallows a channel layer that is down.
    message = {"type": "checkin.figures", "figures": figures_message(figures)}
    _group_send(group_name(slot_id), message)


@receiver(events.door_settings_changed_signal)
def broadcast_settings(sender, slot_ids: list[int], **kwargs) -> None:
    for slot_id in slot_ids:
        _group_send(group_name(slot_id), {"type": "checkin.settings", "slot": slot_id})


def _recount(slot_id: int) -> None:
    try:
        if watched(slot_id):
            broadcast_figures(None, slot_id=slot_id, figures=selectors.door_counts(slot_id))
    except Exception:
        logger.exception("Could not send the door's figures", extra={"slot_id": slot_id})


@receiver(booking_events.booking_made)
def recount_on_booking(sender, booking, **kwargs) -> None:
    _recount(booking.slot_id)


@receiver(booking_events.booking_voided)
def recount_on_cancellation(sender, booking, **kwargs) -> None:
    _recount(booking.slot_id)


@receiver(booking_events.ticket_reissued)
def refresh_lists_on_reissue(sender, slot_id: int, **kwargs) -> None:
    # An offline gate would still admit the old text until it downloads the list again.
    broadcast_settings(None, slot_ids=[slot_id])


@receiver(booking_events.booking_relocated)
def recount_on_move(sender, booking, from_slot_id: int, **kwargs) -> None:
    # The old showtime's gates would still admit the old QR texts until they download
    # their list again; both doors' expected counts changed.
    broadcast_settings(None, slot_ids=[from_slot_id, booking.slot_id])
    _recount(from_slot_id)
    _recount(booking.slot_id)
