"""The refund policy: an event that keeps booking fees gives a cancelling customer
back what they paid less each ticket's fee; an organizer's (or staff's) cancellation
gives everything back; the showtime's books reconcile with the fees kept."""

from decimal import Decimal

import pytest
from django.test import Client

from apps.bookings import ledger, services
from apps.bookings.models import Payment, TestProviderCharge
from apps.catalog import services as catalog
from tests.support.booking import book

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def keeps_fees(event):
    """A fee of 1.00 a ticket and 0.50 an order, kept when the customer cancels."""
    return catalog.event_update(
        event=event,
        booking_fee_per_ticket=Decimal("1.00"),
        booking_fee_per_order=Decimal("0.50"),
        refund_fees=False,
    )


def refunded(booking) -> Decimal:
    payment = Payment.objects.get(booking=booking)
    return TestProviderCharge.objects.get(ref=payment.provider_ref).refunded_amount


def test_tickets_record_their_fee(customer, keeps_fees, reserved_slot, seat_ids):
    booking = book(customer, reserved_slot.pk, seat_ids=seat_ids[:2])
    assert booking.total == Decimal("22.50")  # 2 x 10.00 + 2 x 1.00 + 0.50
    fees = sorted(booking.tickets.values_list("fee", flat=True))
    assert fees == [Decimal("1.25"), Decimal("1.25")] and sum(fees) == Decimal("2.50")


def test_a_customer_keeps_paying_the_fees_when_cancelling(
    customer, keeps_fees, reserved_slot, seat_ids
):
    booking = book(customer, reserved_slot.pk, seat_ids=seat_ids[:3])  # 30 + 3 + 0.50
    assert booking.total == Decimal("33.50")
    client = Client()
    client.force_login(customer)
    asked = client.get(f"/bookings/{booking.pk}/cancel/").content.decode()
    assert "less the booking fees" in asked and "(refund <span data-ticket-refund>10.00" in asked
    some = services.booking_tickets_cancel(booking_id=booking.pk, numbers=[1], user=customer)
    assert some.amount == Decimal("10.00")  # 11.17 paid for it, its fee 1.17 kept
    assert refunded(booking) == Decimal("10.00")
    services.booking_cancel(booking_id=booking.pk, user=customer)
    payment = Payment.objects.get(booking=booking)
    assert payment.kept == Decimal("3.50")  # every fee
    assert refunded(booking) == Decimal("30.00") == payment.amount - payment.kept
    books = ledger.slot_ledger(reserved_slot.pk)
    assert books.kept == Decimal("3.50") and books.reconciles
    page = client.get(f"/bookings/{booking.pk}/").content.decode()
    assert "30.00 refunded." in page and "Booking fees of 3.50 are not refunded" in page


def test_an_organizers_cancellation_refunds_the_fees_too(
    customer, keeps_fees, reserved_slot, seat_ids
):
    booking = book(customer, reserved_slot.pk, seat_ids=seat_ids[:2])
    services.booking_cancel(booking_id=booking.pk, by_organizer=True, by=keeps_fees.organizer)
    assert refunded(booking) == Decimal("22.50")
    assert Payment.objects.get(booking=booking).kept == 0
    assert ledger.slot_ledger(reserved_slot.pk).reconciles


def test_by_default_the_fees_are_refunded(customer, event, reserved_slot, seat_ids):
    catalog.event_update(event=event, booking_fee_per_ticket=Decimal("1.00"))
    booking = book(customer, reserved_slot.pk, seat_ids=seat_ids[:2])
    services.booking_cancel(booking_id=booking.pk, user=customer)
    assert refunded(booking) == Decimal("22.00")


def test_kept_fees_move_with_the_booking(
    organizer, customer, keeps_fees, reserved_slot, later_slot, seat_ids
):
    booking = book(customer, reserved_slot.pk, seat_ids=seat_ids[:3])
    services.booking_tickets_cancel(booking_id=booking.pk, numbers=[1], user=customer)
    services.booking_move(booking_id=booking.pk, to_slot_id=later_slot.pk, by=organizer)
    assert ledger.slot_ledger(reserved_slot.pk).reconciles
    assert ledger.slot_ledger(later_slot.pk).reconciles
