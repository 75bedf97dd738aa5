"""Waitlist fixtures: sold-out showtimes and people queueing for them."""

import pytest

from apps.accounts.models import User
from apps.bookings.tests.fixtures import *  # noqa: F403
from apps.bookings.tests.fixtures import book


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
def general_capacity() -> int:
    return 6


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
