"""`date_from` / `date_to` at the edges of the calendar: a 200, never a 500.

`GET /api/v1/slots/?date_from=0001-01-01` used to answer 500: the UTC bound around the
local-day filter (the day's midnight minus the widest time-zone offset) fell before year 1.
"""

from datetime import date, timedelta

import pytest

from apps.scheduling import selectors
from apps.scheduling.models import Slot

from .test_events_api import slot_at

pytestmark = pytest.mark.django_db

EDGES = ["0001-01-01", "0001-01-02", "9999-12-30", "9999-12-31"]


@pytest.fixture
def showtime(event, screen):
    return slot_at(event, screen, 2)


@pytest.mark.parametrize("path", ["/api/v1/slots/", "/api/v1/events/"])
@pytest.mark.parametrize("param", ["date_from", "date_to"])
@pytest.mark.parametrize("day", EDGES)
def test_a_date_at_the_edge_of_the_calendar_is_a_plain_filter(
    anon_client, showtime, path, param, day
):
    response = anon_client.get(path, {param: day})
    assert response.status_code == 200, response.content
    found = response.json()["count"]
    # From the first days on, or up to the last ones: the showtime in two days is in.
    assert found == (1 if (param == "date_from") == day.startswith("0001") else 0)


def test_the_whole_calendar_finds_the_showtime(anon_client, showtime):
    query = {"date_from": "0001-01-01", "date_to": "9999-12-31"}
    for path in ("/api/v1/slots/", "/api/v1/events/"):
        response = anon_client.get(path, query)
        assert response.status_code == 200, response.content
        assert response.json()["count"] == 1


@pytest.mark.parametrize("days", [1, 3])
def test_offsets_wider_than_a_day_still_do_not_overflow(monkeypatch, showtime, days):
    """The bounds are computed, not assumed to be within one day of the edge."""
    monkeypatch.setattr(selectors, "EARLIEST_OFFSET", timedelta(days=days, hours=14))
    monkeypatch.setattr(selectors, "LATEST_OFFSET", timedelta(days=days, hours=12))
    for first in (date.min, date.min + timedelta(days=1), date.min + timedelta(days=days)):
        for last in (date.max, date.max - timedelta(days=1), date.max - timedelta(days=days)):
            qs = selectors.on_local_days(Slot.objects.all(), first, last)
            assert list(qs) == [showtime]
