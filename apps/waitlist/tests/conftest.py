"""Waitlist fixtures: sold-out showtimes and people queueing for them."""

import pytest

from tests.support.booking import *  # noqa: F403
from tests.support.booking import book
from tests.support.fixtures import *  # noqa: F403
from tests.support.showtimes import *  # noqa: F403


@pytest.fixture
def general_capacity() -> int:
    return 6


@pytest.fixture
def ga_sold_out(general_slot, people):
    owners = people(3, prefix="gaowner")
    return [book(owner, general_slot.pk, quantity=2) for owner in owners]
