"""What the door does after its own changes commit: tell the live count.

`events.checkin_changed_signal` is sent after commit; this reads the showtime's
fresh figures once and sends them to its sockets (`consumers`, group
`checkin.<slot id>`). A failure here (the database, Redis) is logged, never
raised: the scan it follows stands, and the scanner page falls back to polling.
"""

import logging

from django.dispatch import receiver

from apps.bookings.realtime import _group_send
from apps.scheduling.models import Slot

from . import events, selectors
from .consumers import figures_message, group_name

logger = logging.getLogger(__name__)


@receiver(events.checkin_changed_signal)
def broadcast_figures(sender, slot_id: int, **kwargs) -> None:
    try:
        slot = Slot.objects.filter(pk=slot_id).first()
        if slot is None:
            return
        figures = figures_message(selectors.checkin_figures(slot))
        # `_group_send` logs and swallows a channel layer that is down.
        _group_send(group_name(slot_id), {"type": "checkin.figures", "figures": figures})
    except Exception:
        logger.exception("Could not send the door's figures", extra={"slot_id": slot_id})
