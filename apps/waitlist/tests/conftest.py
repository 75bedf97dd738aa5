"""Waitlist fixtures: sold-out showtimes and people queueing for them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.models import User
from apps.bookings import services as booking_services
from apps.bookings.models import Booking
from apps.catalog.tests.fixtures import *  # noqa: F403
from apps.scheduling.services import slot_create


def book(user, slot_id, **hold_kwargs) -> Booking:
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
def people(db):
    def make(n, prefix="fan"):
        start = User.objects.filter(email__startswith=prefix).count()
        return [
            User.objects.create_user(
                f"{prefix}{i}@example.org", "pw-not-used-0", full_name=f"{prefix} {i}"
            )
            for i in range(start, start + n)
        ]

    return make


@pytest.fixture
def reserved_slot(event, screen):
    """20 seats: rows A-D of 5 (D premium), starting tomorrow."""
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
        capacity=6,
        prices={"general": "25.00"},
    )


@pytest.fixture
def seat_ids(reserved_slot):
    return list(reserved_slot.screen.seats.order_by("id").values_list("id", flat=True))


@pytest.fixture
def sold_out(reserved_slot, seat_ids, people):
    """The reserved slot with every seat booked: one booking per row (A, B, C, D)."""
    owners = people(4, prefix="owner")
    return [
        book(owner, reserved_slot.pk, seat_ids=seat_ids[i * 5 : (i + 1) * 5])
        for i, owner in enumerate(owners)
    ]


@pytest.fixture
def ga_sold_out(general_slot, people):
    owners = people(3, prefix="gaowner")
    return [book(owner, general_slot.pk, quantity=2) for owner in owners]
