from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from apps.bookings import errors, events, selectors, services
from apps.bookings.models import GeneralInventory, Payment, TestProviderCharge
from apps.scheduling.models import Slot
from tests.support.booking import book

pytestmark = pytest.mark.django_db


def test_cancel_frees_seats_refunds_and_announces(
    customer, reserved_slot, seat_ids, django_capture_on_commit_callbacks
):
    booking = book(customer, reserved_slot.pk, seat_ids=seat_ids[:2])
    freed = []

    def listener(sender, slot_id, **kwargs):
        freed.append(slot_id)

    events.seats_freed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.booking_cancel(user=customer, booking_id=booking.pk)
    finally:
        events.seats_freed.disconnect(listener)
    booking.refresh_from_db()
    assert booking.status == "cancelled" and booking.cancelled_at
    assert selectors.seat_statuses(reserved_slot) == {}
    assert Payment.objects.get(booking=booking).status == Payment.Status.REFUNDED
    assert TestProviderCharge.objects.get().refunded
    assert freed == [reserved_slot.pk]


def test_cancel_general_admission_returns_places(customer, general_slot):
    booking = book(customer, general_slot.pk, quantity=4)
    assert GeneralInventory.objects.get(slot=general_slot).available == 26
    services.booking_cancel(user=customer, booking_id=booking.pk)
    assert GeneralInventory.objects.get(slot=general_slot).available == 30


def test_cancel_twice_is_409(customer, reserved_slot, seat_ids):
    booking = book(customer, reserved_slot.pk, seat_ids=seat_ids[:1])
    services.booking_cancel(user=customer, booking_id=booking.pk)
    with pytest.raises(errors.AlreadyCancelled):
        services.booking_cancel(user=customer, booking_id=booking.pk)


def test_cancel_after_the_slot_started_is_409(customer, reserved_slot, seat_ids):
    booking = book(customer, reserved_slot.pk, seat_ids=seat_ids[:1])
    Slot.objects.filter(pk=reserved_slot.pk).update(starts_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(errors.CancellationClosed):
        services.booking_cancel(user=customer, booking_id=booking.pk)


@override_settings(VENUE_CANCEL_CUTOFF_MINUTES=60 * 48)
def test_cancel_cutoff_is_configurable(customer, reserved_slot, seat_ids):
    booking = book(customer, reserved_slot.pk, seat_ids=seat_ids[:1])
    with pytest.raises(errors.CancellationClosed):
        services.booking_cancel(user=customer, booking_id=booking.pk)


def test_someone_elses_booking_is_not_found_but_admins_may_cancel(
    customer, organizer, reserved_slot, seat_ids
):
    booking = book(customer, reserved_slot.pk, seat_ids=seat_ids[:1])
    with pytest.raises(errors.BookingNotFound):
        services.booking_cancel(user=organizer, booking_id=booking.pk)
    assert services.booking_cancel(booking_id=booking.pk).status == "cancelled"


def test_seats_of_a_cancelled_booking_can_be_booked_again(
    customer, organizer, reserved_slot, seat_ids
):
    first = book(customer, reserved_slot.pk, seat_ids=seat_ids[:2])
    services.booking_cancel(user=customer, booking_id=first.pk)
    second = book(organizer, reserved_slot.pk, seat_ids=seat_ids[:2])
    assert second.status == "confirmed"


def test_deleting_a_booked_showtime_is_a_409_and_deletes_nothing(
    org_client, customer, reserved_slot
):
    """Bookings protect their showtime: the API answers 409 `slot_has_bookings` (it used
    to answer 500 on the ProtectedError), and the showtime, its bookings and its seats
    stay as they were; a showtime nobody booked deletes (its holds go with it)."""
    seats = list(reserved_slot.screen.seats.values_list("pk", flat=True)[:2])
    booking = book(customer, reserved_slot.pk, seat_ids=seats)
    response = org_client.delete(f"/api/v1/slots/{reserved_slot.pk}/")
    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "slot_has_bookings"
    assert Slot.objects.filter(pk=reserved_slot.pk).exists()
    booking.refresh_from_db()
    assert booking.status == "confirmed" and booking.claims.count() == 2

    services.booking_cancel(user=customer, booking_id=booking.pk)
    response = org_client.delete(f"/api/v1/slots/{reserved_slot.pk}/")
    assert response.status_code == 409  # cancelled bookings stay in the books too
