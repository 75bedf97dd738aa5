"""Settlers racing for one payment a crash left charged: repeats of the request and
reconcilers at once book it once, refund nothing, and every repeat gets the booking."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.models import User
from apps.bookings import errors, services
from apps.bookings.models import Booking, Payment, TestProviderCharge, Ticket
from tests.support.booking import pay

from .conftest import race

pytestmark = pytest.mark.django_db(transaction=True)


class Killed(Exception):
    pass


@pytest.mark.parametrize("stuck", ["pending", "charged"])
def test_repeats_and_reconcilers_at_once_settle_a_stuck_payment_once(
    reserved_slot, monkeypatch, stuck
):
    user = User.objects.create(email="stuck@race.example.org", full_name="Stuck")
    seat_ids = list(reserved_slot.screen.seats.values_list("id", flat=True)[:2])
    hold = services.hold_create(user=user, slot_id=reserved_slot.pk, seat_ids=seat_ids)

    real_move = services.settle._payment_move

    def killed_at(payment, source, status, **fields):
        # "pending": killed after the provider charged, before the charge was recorded;
        # "charged": killed after recording it, before the booking was written.
        if stuck == "pending" and status == Payment.Status.CHARGED:
            raise Killed
        moved = real_move(payment, source, status, **fields)
        if stuck == "charged" and status == Payment.Status.CHARGED:
            raise Killed
        return moved

    monkeypatch.setattr(services.settle, "_payment_move", killed_at)
    with pytest.raises(Killed):
        pay(user, hold.pk)
    monkeypatch.undo()
    assert Payment.objects.get().status == stuck
    Payment.objects.update(updated_at=timezone.now() - timedelta(minutes=1))

    def settler(kind):
        if kind == "repeat":
            return pay(user, hold.pk)
        return services.payments_reconcile(older_than=timedelta(0))

    results = race(settler, [("repeat",), ("reconcile",)] * 6, workers=12)

    # A repeat arriving while another settler is at work is told to repeat shortly (409
    # request_in_progress, Retry-After); anything else is a failure.
    busy = [r for r in results if isinstance(r, errors.RequestInProgress)]
    failures = [r for r in results if isinstance(r, Exception) and r not in busy]
    assert not failures, failures
    booking = Booking.objects.get()
    assert Ticket.objects.filter(booking=booking).count() == 2
    payment = Payment.objects.get()
    assert (payment.status, payment.booking_id) == (Payment.Status.SUCCEEDED, booking.pk)
    charge = TestProviderCharge.objects.get()
    assert charge.ref == payment.provider_ref and not charge.refunded
    repeats = [r for r in results if isinstance(r, services.Outcome)] + [pay(user, hold.pk)]
    assert len(repeats) == 7 - len(busy)
    assert {(r.status, r.body["id"]) for r in repeats} == {(201, booking.pk)}
