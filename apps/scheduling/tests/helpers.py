"""Helpers of the scheduling tests."""

from datetime import datetime

from apps.scheduling.models import Slot


def raw_slot(event, screen, starts_at: datetime, ends_at: datetime, capacity: int = 20) -> Slot:
    """A reserved showtime written straight to the table, past every service check: for
    tests of the database's own rules and of query counts."""
    return Slot.objects.create(
        event=event,
        screen=screen,
        starts_at=starts_at,
        ends_at=ends_at,
        seating="reserved",
        capacity=capacity,
    )
