"""Times a person reads are in the venue's zone: the overlap refusal and the sales chart."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from apps.bookings.models import Booking
from apps.catalog.models import Venue
from apps.organizer.selectors import sales_by_day
from apps.scheduling import errors
from apps.scheduling.services import slot_create
from tests.support.booking import book
from tests.support.fixtures import *  # noqa: F403
from tests.support.showtimes import *  # noqa: F403
from tests.support.showtimes import PRICES

pytestmark = pytest.mark.django_db
TOKYO = ZoneInfo("Asia/Tokyo")


def test_the_overlap_refusal_names_the_venues_times(event, screen, reserved_slot):
    Venue.objects.filter(pk=screen.venue_id).update(timezone="Asia/Tokyo")
    screen.venue.refresh_from_db()
    with pytest.raises(errors.SlotOverlap) as refused:
        slot_create(
            event=event,
            screen=screen,
            starts_at=reserved_slot.starts_at + timedelta(minutes=10),
            seating="reserved",
            prices=PRICES,
        )
    local = timezone.localtime(reserved_slot.starts_at, TOKYO)
    assert f"{local:%Y-%m-%d %H:%M}" in refused.value.message
    assert "(Asia/Tokyo)" in refused.value.message and "UTC" not in refused.value.message


def test_a_sale_counts_on_the_venues_day(organizer, customer, reserved_slot, seat_ids):
    """Sold at 16:30 UTC is 01:30 the next day in Tokyo: the chart puts it there."""
    Venue.objects.filter(pk=reserved_slot.screen.venue_id).update(timezone="Asia/Tokyo")
    booking = book(customer, reserved_slot.pk, seat_ids=seat_ids[:2])
    yesterday = (timezone.now() - timedelta(days=1)).date()
    sold = timezone.make_aware(
        timezone.datetime.combine(yesterday, timezone.datetime.min.time()), ZoneInfo("UTC")
    ) + timedelta(hours=16, minutes=30)
    Booking.objects.filter(pk=booking.pk).update(created_at=sold)
    series = {point["day"]: point["tickets"] for point in sales_by_day(organizer)}
    assert series[yesterday + timedelta(days=1)] == 2
    assert series[yesterday] == 0
