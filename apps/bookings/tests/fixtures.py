"""Booking fixtures: a published event with a reserved and a general-admission showtime.

Other apps' tests import them (`from apps.bookings.tests.fixtures import *`) and
may override `general_capacity`.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.bookings import services as booking_services
from apps.bookings.models import Booking
from apps.catalog.tests.fixtures import *  # noqa: F403
from apps.scheduling.services import slot_create


def book(user, slot_id, **hold_kwargs) -> Booking:
    """Hold and pay in one go: a confirmed booking of `user`."""
    hold = booking_services.hold_create(user=user, slot_id=slot_id, **hold_kwargs)
    outcome = booking_services.booking_confirm(
        user=user,
        hold_id=hold.pk,
        method="test",
        token="ok",
        key=f"book-{hold.pk}",
        fingerprint=str(hold.pk),
    )
    return Booking.objects.get(pk=outcome.body["id"])


@pytest.fixture
def general_capacity() -> int:
    return 30


@pytest.fixture
def reserved_slot(event, screen):
    """20 seats in rows A-D (D premium), starting tomorrow."""
    return slot_create(
        event=event,
        screen=screen,
        starts_at=timezone.now() + timedelta(days=1),
        seating="reserved",
        prices={"standard": "10.00", "premium": "15.00"},
    )


@pytest.fixture
def general_slot(event, screen, general_capacity):
    return slot_create(
        event=event,
        screen=screen,
        starts_at=timezone.now() + timedelta(days=2),
        seating="general",
        capacity=general_capacity,
        prices={"general": "25.00"},
    )


@pytest.fixture
def seat_ids(reserved_slot):
    return list(reserved_slot.screen.seats.order_by("id").values_list("id", flat=True))
