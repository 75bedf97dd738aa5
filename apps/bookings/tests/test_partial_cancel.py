"""Cancelling some tickets of a booking: their seats free at once, exactly what was paid
for them is refunded (once), the rest of the booking stands; a later full cancellation
refunds only what is left, and the showtime's books reconcile throughout."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from apps.bookings import errors, ledger, services
from apps.bookings.models import (
    GeneralInventory,
    PartialRefund,
    Payment,
    SeatClaim,
    TestProviderCharge,
    Ticket,
)
from apps.scheduling.models import Slot
from tests.support.booking import book
from tests.support.fixtures import client_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def mixed(customer, reserved_slot, seat_ids):
    """Two standard seats (10.00) and one premium seat (15.00): 35.00."""
    premium = reserved_slot.screen.seats.filter(category="premium").order_by("id")[0].pk
    return book(customer, reserved_slot.pk, seat_ids=[seat_ids[0], seat_ids[1], premium])


def charge_of(booking) -> TestProviderCharge:
    payment = Payment.objects.get(booking=booking)
    return TestProviderCharge.objects.get(ref=payment.provider_ref)


def test_tickets_carry_what_was_paid_for_them(mixed):
    prices = list(mixed.tickets.order_by("number").values_list("price", flat=True))
    assert prices == [Decimal("10.00"), Decimal("10.00"), Decimal("15.00")]
    assert sum(prices) == mixed.total == Decimal("35.00")


def test_general_admission_tickets_share_the_total(customer, general_slot):
    booking = book(customer, general_slot.pk, quantity=3)
    assert set(booking.tickets.values_list("price", flat=True)) == {Decimal("25.00")}


def test_the_customer_cancels_one_ticket(customer, mixed):
    premium = mixed.tickets.get(number=3)
    body = client_for(customer).post(
        f"/api/v1/bookings/{mixed.pk}/tickets/cancel/", {"tickets": [3]}, format="json"
    )
    assert body.status_code == 200, body.content
    data = body.json()
    assert data["status"] == "confirmed"
    assert data["cancelled"] == [3]
    assert data["refund"] == "15.00"
    assert data["booking"]["total"] == "20.00" and data["booking"]["quantity"] == 2
    assert premium.seat_id not in data["booking"]["seats"]
    assert [t["status"] for t in data["booking"]["tickets"]] == ["valid", "valid", "cancelled"]

    # The seat is free at once, the refund went through once, for that ticket only.
    assert not SeatClaim.objects.filter(seat_id=premium.seat_id).exists()
    refund = PartialRefund.objects.get()
    assert (refund.amount, refund.status, refund.ticket_numbers) == (
        Decimal("15.00"),
        "refunded",
        [3],
    )
    charge = charge_of(mixed)
    assert (charge.refunds, charge.refunded_amount) == (1, Decimal("15.00"))
    assert Payment.objects.get(booking=mixed).status == "succeeded"

    # The customer is told which ticket and, once made, the refund.
    subjects = [m.subject for m in mail.outbox if m.to == [customer.email]]
    assert any("1 ticket of booking" in s for s in subjects)
    assert any("refund" in m.body.lower() and "15.00" in m.body for m in mail.outbox)

    # The cancelled ticket no longer admits (the door refuses a cancelled ticket).
    premium.refresh_from_db()
    assert premium.status == "cancelled"

    books = ledger.slot_ledger(mixed.slot_id)
    assert (books.charged, books.refunded, books.booked) == (
        Decimal("35.00"),
        Decimal("15.00"),
        Decimal("20.00"),
    )
    assert books.reconciles


def test_a_full_cancellation_afterwards_refunds_only_the_rest(customer, mixed):
    services.booking_tickets_cancel(booking_id=mixed.pk, numbers=[1], user=customer)
    services.booking_cancel(booking_id=mixed.pk, user=customer)

    charge = charge_of(mixed)
    assert charge.refunded_amount == Decimal("35.00")  # 10 then 25: never more than paid
    assert charge.refunds == 2
    payment = Payment.objects.get(booking=mixed)
    assert payment.status == "refunded" and payment.refunded_in_part == Decimal("10.00")
    books = ledger.slot_ledger(mixed.slot_id)
    assert books.net == Decimal("0.00") and books.reconciles
    assert sorted(e.amount for e in books.entries if e.kind == "refund") == [
        Decimal("10.00"),
        Decimal("25.00"),
    ]


def test_naming_every_live_ticket_cancels_the_booking(customer, mixed):
    services.booking_tickets_cancel(booking_id=mixed.pk, numbers=[2], user=customer)
    result = services.booking_tickets_cancel(booking_id=mixed.pk, numbers=[1, 3], user=customer)
    assert result.booking.status == "cancelled"
    assert set(mixed.tickets.values_list("status", flat=True)) == {"cancelled"}
    assert charge_of(mixed).refunded_amount == Decimal("35.00")
    assert ledger.slot_ledger(mixed.slot_id).reconciles


def test_general_admission_places_come_back(customer, general_slot):
    booking = book(customer, general_slot.pk, quantity=4)
    before = GeneralInventory.objects.get(slot=general_slot).available
    services.booking_tickets_cancel(booking_id=booking.pk, numbers=[2, 4], user=customer)
    assert GeneralInventory.objects.get(slot=general_slot).available == before + 2
    booking.refresh_from_db()
    assert (booking.quantity, booking.total) == (2, Decimal("50.00"))
    assert charge_of(booking).refunded_amount == Decimal("50.00")


@pytest.mark.parametrize(
    ("numbers", "code", "status"),
    [
        ([9], "ticket_not_found", 404),
        ([], "validation_error", 400),
        (["x"], "validation_error", 400),
    ],
)
def test_bad_ticket_numbers(customer, mixed, numbers, code, status):
    response = client_for(customer).post(
        f"/api/v1/bookings/{mixed.pk}/tickets/cancel/", {"tickets": numbers}, format="json"
    )
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert not PartialRefund.objects.exists()


def test_someone_elses_booking_is_not_found(mixed, make_user):
    other = make_user("other@example.org")
    response = client_for(other).post(
        f"/api/v1/bookings/{mixed.pk}/tickets/cancel/", {"tickets": [1]}, format="json"
    )
    assert response.status_code == 404


def test_a_used_or_cancelled_ticket_cannot_be(customer, mixed):
    Ticket.objects.filter(booking=mixed, number=1).update(status="used")
    with pytest.raises(errors.TicketUsed):
        services.booking_tickets_cancel(booking_id=mixed.pk, numbers=[1], user=customer)
    services.booking_tickets_cancel(booking_id=mixed.pk, numbers=[2], user=customer)
    with pytest.raises(errors.TicketCancelled):
        services.booking_tickets_cancel(booking_id=mixed.pk, numbers=[2], user=customer)


def test_past_the_cutoff_only_the_organizer_can(customer, organizer, mixed, settings):
    settings.VENUE_CANCEL_CUTOFF_MINUTES = 48 * 60
    with pytest.raises(errors.CancellationClosed):
        services.booking_tickets_cancel(booking_id=mixed.pk, numbers=[1], user=customer)
    response = client_for(organizer).post(
        f"/api/v1/slots/{mixed.slot_id}/bookings/{mixed.pk}/tickets/cancel/",
        {"tickets": [1]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert PartialRefund.objects.get().by == organizer


def test_a_ticket_given_away_is_the_organizers_to_cancel(customer, organizer, mixed, make_user):
    friend = make_user("friend@example.org")
    Ticket.objects.filter(booking=mixed, number=2).update(holder=friend)
    with pytest.raises(errors.TicketGivenAway):
        services.booking_tickets_cancel(booking_id=mixed.pk, numbers=[2], user=customer)
    mail.outbox.clear()
    services.booking_tickets_cancel(
        booking_id=mixed.pk, numbers=[2], by_organizer=True, by=organizer
    )
    assert Ticket.objects.get(booking=mixed, number=2).status == "cancelled"
    told = [m for m in mail.outbox if m.to == [friend.email]]
    assert len(told) == 1 and "you were given from booking" in told[0].body


def test_the_organizer_cancelling_every_ticket_tells_the_customer(customer, organizer, mixed):
    mail.outbox.clear()
    result = services.booking_tickets_cancel(
        booking_id=mixed.pk, numbers=[1, 2, 3], by_organizer=True, by=organizer
    )
    assert result.booking.status == "cancelled"
    assert any(m.to == [customer.email] and "is cancelled" in m.subject for m in mail.outbox)


def test_another_organizer_cannot(rival_client, mixed):
    response = rival_client.post(
        f"/api/v1/slots/{mixed.slot_id}/bookings/{mixed.pk}/tickets/cancel/",
        {"tickets": [1]},
        format="json",
    )
    assert response.status_code == 404


def test_a_refused_refund_is_kept_and_made_by_the_reconciler(customer, mixed, monkeypatch):
    from apps.bookings.payments import ProviderUnavailable, TestProvider

    real = TestProvider.refund

    def down(self, **kwargs):
        raise ProviderUnavailable("provider down")

    monkeypatch.setattr(TestProvider, "refund", down)
    services.booking_tickets_cancel(booking_id=mixed.pk, numbers=[1], user=customer)
    refund = PartialRefund.objects.get()
    assert refund.status == "pending" and "provider down" in refund.error
    # The tickets are cancelled all the same: the refund is owed, and the books say so.
    assert Ticket.objects.get(booking=mixed, number=1).status == "cancelled"
    books = ledger.slot_ledger(mixed.slot_id)
    assert books.owed == Decimal("10.00") and books.reconciles

    monkeypatch.setattr(TestProvider, "refund", real)
    PartialRefund.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    assert services.payments_reconcile() >= 1
    assert PartialRefund.objects.get().status == "refunded"
    assert charge_of(mixed).refunded_amount == Decimal("10.00")
    assert services.partial_refund_run(refund_id=refund.pk) is False  # never twice
    assert charge_of(mixed).refunds == 1


def test_the_slot_is_untouched_by_a_refused_cancellation(customer, mixed):
    Slot.objects.filter(pk=mixed.slot_id).update(starts_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(errors.CancellationClosed):
        services.booking_tickets_cancel(booking_id=mixed.pk, numbers=[1], user=customer)
    assert set(mixed.tickets.values_list("status", flat=True)) == {"valid"}
