"""Pages show a showtime at the venue's wall-clock time, whatever the server's zone: a
New York show at 20:00 reads 20:00, not its UTC hour."""

import pytest
from django.test import override_settings

from apps.catalog.models import Venue
from tests.support.booking import book
from tests.support.demo import sign_in
from tests.support.fixtures import *  # noqa: F403
from tests.support.showtimes import *  # noqa: F403

pytestmark = pytest.mark.django_db
PASSWORD = "pw-not-used-0"  # tests.support.fixtures' users
ZONE = "America/New_York"


@pytest.fixture
def new_york_slot(reserved_slot):
    Venue.objects.filter(pk=reserved_slot.screen.venue_id).update(timezone=ZONE)
    reserved_slot.screen.venue.refresh_from_db()
    return reserved_slot


def _clock(slot, fmt="%H:%M"):
    return slot.starts_at.astimezone(slot.screen.venue.tzinfo).strftime(fmt)


@override_settings(TIME_ZONE="UTC")
def test_the_pages_read_the_venue_clock(client, customer, new_york_slot, seat_ids):
    local, utc = _clock(new_york_slot), new_york_slot.starts_at.strftime("%H:%M")
    assert local != utc
    booking = book(customer, new_york_slot.pk, seat_ids=seat_ids[:1])
    signed_in = sign_in(client, customer.email, password=PASSWORD)
    pages = {
        "event": f"/events/{new_york_slot.event_id}/",
        "showtime": f"/slots/{new_york_slot.pk}/",
        "booking": f"/bookings/{booking.pk}/",
        "cancel": f"/bookings/{booking.pk}/cancel/",
    }
    for name, url in pages.items():
        page = signed_in.get(url).content.decode()
        assert f"{local}" in page, name
        assert f", {utc}" not in page and f">{utc}<" not in page, name
