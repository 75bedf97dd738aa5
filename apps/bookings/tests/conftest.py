"""Booking fixtures: a published event with a reserved and a general-admission showtime."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.catalog.tests.fixtures import *  # noqa: F403
from apps.scheduling.services import slot_create


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
def general_slot(event, screen):
    return slot_create(
        event=event,
        screen=screen,
        starts_at=timezone.now() + timedelta(days=2),
        seating="general",
        capacity=30,
        prices={"general": "25.00"},
    )


@pytest.fixture
def seat_ids(reserved_slot):
    return list(reserved_slot.screen.seats.order_by("id").values_list("id", flat=True))
