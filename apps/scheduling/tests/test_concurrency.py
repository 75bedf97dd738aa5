"""Racing slot creations on one screen: exactly one wins, the database agrees."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from apps.scheduling import services
from apps.scheduling.errors import SlotOverlap
from apps.scheduling.models import Slot
from tests.support.showtimes import PRICES

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_overlapping_creates_leave_one_slot(event, screen):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    base = timezone.now().replace(microsecond=0) + timedelta(days=2)
    workers = 8
    barrier = threading.Barrier(workers)
    outcomes: list[str] = []

    def attempt(i: int) -> None:
        try:
            barrier.wait()
            services.slot_create(
                event=event,
                screen=screen,
                starts_at=base + timedelta(minutes=5 * i),
                ends_at=base + timedelta(minutes=5 * i + 90),
                seating="reserved",
                prices=PRICES,
            )
            outcomes.append("created")
        except SlotOverlap:
            outcomes.append("overlap")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["created"] + ["overlap"] * (workers - 1)
    assert Slot.objects.filter(screen=screen).count() == 1
