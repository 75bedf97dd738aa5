"""The ledger row of an organizer's cancellation: a refund booked against the organizer
who called the showtime off (`bookings.ledger`)."""

import pytest

from apps.operations import services as operations
from tests.support.booking import book, ledger_rows

pytestmark = pytest.mark.django_db


def test_an_organizers_cancellation_is_booked_against_the_organizer(
    customer, organizer, reserved_slot, seat_ids, django_capture_on_commit_callbacks
):
    booking = book(customer, reserved_slot.pk, seat_ids=seat_ids[:1])
    with django_capture_on_commit_callbacks(execute=True):
        operations.slot_cancel(slot=reserved_slot, reason="Flood", by=organizer)
    booking.refresh_from_db()
    assert booking.cancelled_by == organizer
    assert ledger_rows(reserved_slot)[-1] == (
        "refund",
        booking.total,
        "showtime_cancelled",
        organizer.pk,
        booking.pk,
    )
