"""Lists and seat maps cost a fixed number of queries, however big they get."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.catalog import services as catalog
from apps.catalog.models import Event, EventStatus
from apps.scheduling.models import SlotPrice
from tests.support.fixtures import client_for, grid
from tests.support.showtimes import raw_slot

pytestmark = pytest.mark.django_db


def count_queries(call) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = call()
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


def add_events(organizer, movie, screen, n: int, offset: int) -> None:
    start = timezone.now() + timedelta(days=1)
    for i in range(n):
        event = Event.objects.create(
            organizer=organizer,
            type="movie",
            movie=movie,
            title=f"E{offset + i}",
            city="Lisbon",
            status=EventStatus.PUBLISHED,
        )
        at = start + timedelta(hours=2 * (offset + i))
        raw_slot(event, screen, at, at + timedelta(hours=1))


@pytest.mark.parametrize("who", ["anonymous", "organizer"])
def test_event_list_queries_do_not_grow_with_events(organizer, movie, screen, who):
    client = client_for(organizer if who == "organizer" else None)
    add_events(organizer, movie, screen, 3, 0)
    small = count_queries(lambda: client.get("/api/v1/events/?cache=3"))
    add_events(organizer, movie, screen, 27, 3)
    large = count_queries(lambda: client.get("/api/v1/events/?cache=30"))
    assert client.get("/api/v1/events/?cache=x").json()["count"] == 30
    assert small == large
    assert large <= 4


def test_event_detail_queries_do_not_grow_with_slots(org_client, event, screen):
    def add(n, offset):
        start = timezone.now() + timedelta(days=1)
        for i in range(n):
            at = start + timedelta(hours=2 * (offset + i))
            slot = raw_slot(event, screen, at, at + timedelta(hours=1))
            SlotPrice.objects.create(slot=slot, category="standard", price=10)

    add(2, 0)
    small = count_queries(lambda: org_client.get(f"/api/v1/events/{event.pk}/"))
    add(40, 2)
    large = count_queries(lambda: org_client.get(f"/api/v1/events/{event.pk}/"))
    assert small == large


def test_seat_map_queries_do_not_grow_with_seats(anon_client, organizer, event, venue):
    def seat_map(seats_per_row: int, rows: str) -> int:
        screen = catalog.screen_create(venue=venue, name=f"S{seats_per_row}")
        catalog.screen_layout_replace(screen=screen, rows=grid(rows, seats_per_row))
        at = timezone.now() + timedelta(days=seats_per_row)
        slot = raw_slot(event, screen, at, at + timedelta(hours=1), seats_per_row * len(rows))
        SlotPrice.objects.create(slot=slot, category="standard", price=10)
        url = f"/api/v1/slots/{slot.pk}/seats/"
        cold = count_queries(lambda: anon_client.get(url))
        assert len(anon_client.get(url).json()["seats"]) == seats_per_row * len(rows)
        warm = count_queries(lambda: anon_client.get(url))
        return cold, warm

    small_cold, small_warm = seat_map(5, "AB")  # 10 seats
    large_cold, large_warm = seat_map(20, "ABCDEFGHIJ")  # 200 seats
    assert small_cold == large_cold
    assert small_warm == large_warm
    assert large_warm < large_cold  # the layout came from the cache; statuses never do
