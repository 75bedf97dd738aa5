"""What the door tells the rest of VENUE, after commit: a showtime's figures changed.

Listeners (the live count on the scanner page and the portal) connect to
`checkin_changed_signal`; a listener's failure never undoes a scan.
"""

import django.dispatch

checkin_changed_signal = django.dispatch.Signal()  # kwargs: slot_id


def checkin_changed(slot_id: int) -> None:
    checkin_changed_signal.send_robust(sender=None, slot_id=slot_id)
