"""Showtimes for tests: the reserved and the general-admission slot, and slots made by hand.

`reserved_slot` (20 seats of the `screen` fixture, rows A-D, D premium) and
`general_slot` (`general_capacity` places, 30 unless a conftest says otherwise) are the
showtimes the booking, waitlist and concurrency tests sell; conftests take them with
`from tests.support.showtimes import *` next to `tests.support.fixtures`.
"""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from apps.scheduling.models import Slot
from apps.scheduling.services import slot_create

__all__ = [  # what `import *` gives a conftest: the fixtures and the helpers
    "PRICES",
    "general_capacity",
    "general_slot",
    "later_slot",
    "raw_slot",
    "reserved_slot",
    "seat_ids",
    "showtime",
]


PRICES = {"standard": "10.00", "premium": "15.00"}  # the categories of the `screen` fixture


def showtime(
    event, screen, *, starts_in: timedelta, seating: str = "reserved", prices=PRICES, **fields
) -> Slot:
    """A showtime made by the service, starting `starts_in` from now (reserved at PRICES
    unless told otherwise)."""
    return slot_create(
        event=event,
        screen=screen,
        starts_at=timezone.now() + starts_in,
        seating=seating,
        prices=prices,
        **fields,
    )


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


@pytest.fixture
def general_capacity() -> int:
    return 30


@pytest.fixture
def reserved_slot(event, screen):
    """20 seats in rows A-D (D premium), starting tomorrow."""
    return showtime(event, screen, starts_in=timedelta(days=1))


@pytest.fixture
def general_slot(event, screen, general_capacity):
    return showtime(
        event,
        screen,
        starts_in=timedelta(days=2),
        seating="general",
        capacity=general_capacity,
        prices={"general": "25.00"},
    )


@pytest.fixture
def later_slot(event, screen):
    """Another showtime of the same event on the same screen, a week after `reserved_slot`
    (a move's target)."""
    return showtime(event, screen, starts_in=timedelta(days=8))


@pytest.fixture
def seat_ids(reserved_slot):
    return list(reserved_slot.screen.seats.order_by("id").values_list("id", flat=True))
