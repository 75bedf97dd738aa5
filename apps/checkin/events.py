"""What the door tells the rest of VENUE, after commit: a showtime's figures changed, or
its settings did.

Listeners (the live count on the scanner page and the portal) connect to these
signals; a listener's failure never undoes a scan.
"""

import django.dispatch

checkin_changed_signal = django.dispatch.Signal()  # kwargs: slot_id, figures


def checkin_changed(slot_id: int, figures: dict) -> None:
    """`figures`: the door's counts (`selectors.door_counts`) read after the commit."""
    checkin_changed_signal.send_robust(sender=None, slot_id=slot_id, figures=figures)


# Sent with `slot_ids` when a door's window or its event's re-entry rule changed.
door_settings_changed_signal = django.dispatch.Signal()


def door_settings_changed(slot_ids: list[int]) -> None:
    door_settings_changed_signal.send_robust(sender=None, slot_ids=slot_ids)
