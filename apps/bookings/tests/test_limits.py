"""The per-customer ticket cap of an event: what one customer holds and has booked across
the event's showtimes, plus what they ask for, may not pass it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.bookings import errors, services
from apps.bookings.models import Hold
from apps.catalog.services import event_update
from tests.support.booking import book
from tests.support.fixtures import client_for
from tests.support.showtimes import showtime

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def capped(event):
    return event_update(event=event, max_tickets_per_customer=4)


@pytest.fixture
def two_shows(capped, reserved_slot, screen):
    return reserved_slot, showtime(capped, screen, starts_in=timedelta(days=3))


def test_no_cap_no_check(customer, reserved_slot, seat_ids):
    hold = services.hold_create(user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:10])
    assert hold.quantity == 10


def test_holds_across_showtimes_count(customer, two_shows, seat_ids):
    first, second = two_shows
    services.hold_create(user=customer, slot_id=first.pk, seat_ids=seat_ids[:3])
    with pytest.raises(errors.LimitExceeded) as refused:
        services.hold_create(user=customer, slot_id=second.pk, seat_ids=seat_ids[:2])
    assert refused.value.details == {"limit": 4, "held": 3, "booked": 0, "asked": 2, "left": 1}
    services.hold_create(user=customer, slot_id=second.pk, seat_ids=seat_ids[:1])


def test_a_new_hold_of_the_same_showtime_replaces_the_old_one(customer, two_shows, seat_ids):
    first, _ = two_shows
    services.hold_create(user=customer, slot_id=first.pk, seat_ids=seat_ids[:3])
    hold = services.hold_create(user=customer, slot_id=first.pk, seat_ids=seat_ids[3:7])
    assert hold.quantity == 4
    with pytest.raises(errors.LimitExceeded):
        services.hold_create(user=customer, slot_id=first.pk, seat_ids=seat_ids[:5])
    assert Hold.objects.get(user=customer).pk == hold.pk  # the refused one changed nothing


def test_bookings_count_until_cancelled(customer, two_shows, seat_ids):
    first, second = two_shows
    booking = book(customer, first.pk, seat_ids=seat_ids[:3])
    with pytest.raises(errors.LimitExceeded):
        services.hold_create(user=customer, slot_id=second.pk, seat_ids=seat_ids[:2])
    services.booking_tickets_cancel(booking_id=booking.pk, numbers=[1], user=customer)
    services.hold_create(user=customer, slot_id=second.pk, seat_ids=seat_ids[:2])


def test_an_expired_hold_does_not_count(customer, two_shows, seat_ids):
    first, second = two_shows
    services.hold_create(user=customer, slot_id=first.pk, seat_ids=seat_ids[:4])
    Hold.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    services.hold_create(user=customer, slot_id=second.pk, seat_ids=seat_ids[:4])


def test_other_customers_have_caps_of_their_own(customer, people, two_shows, seat_ids):
    first, _ = two_shows
    services.hold_create(user=customer, slot_id=first.pk, seat_ids=seat_ids[:4])
    other = people(1)[0]
    services.hold_create(user=other, slot_id=first.pk, seat_ids=seat_ids[4:8])


def test_general_admission_counts_places(customer, capped, general_slot):
    services.hold_create(user=customer, slot_id=general_slot.pk, quantity=4)
    with pytest.raises(errors.LimitExceeded):
        services.hold_create(user=customer, slot_id=general_slot.pk, quantity=5)


def test_the_api_answers_409_with_the_numbers(customer, two_shows, seat_ids):
    first, _ = two_shows
    response = client_for(customer).post(
        "/api/v1/bookings/hold-seats/", {"slot": first.pk, "seats": seat_ids[:5]}, format="json"
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "limit_exceeded"
    assert error["details"]["left"] == 4 and "At most 4 tickets" in error["message"]


def test_the_organizer_sets_the_cap(organizer, event):
    client = client_for(organizer)
    url = f"/api/v1/events/{event.pk}/"
    assert client.patch(url, {"max_tickets_per_customer": 6}, format="json").status_code == 200
    assert client.get(url).json()["max_tickets_per_customer"] == 6
    for bad in (0, 101, "x"):
        response = client.patch(url, {"max_tickets_per_customer": bad}, format="json")
        assert response.status_code == 400, bad
    assert client.patch(url, {"max_tickets_per_customer": None}, format="json").status_code == 200
