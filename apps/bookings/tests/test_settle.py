"""Settling a confirm that met an outage after the charge: within the request, by a repeat
of it, or by the reconciler; never booked or refunded twice."""

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.test import override_settings
from django.utils import timezone

from apps.bookings import errors, services
from apps.bookings.models import (
    Booking,
    Hold,
    IdempotencyRecord,
    Payment,
    TestProviderCharge,
    Ticket,
)
from apps.bookings.payments import TestProvider

from .test_confirm import CrashAfterCharge, after_charge, confirm

# Retries close the connection: that needs real transactions, not a test's wrapping one.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def held(customer, reserved_slot, seat_ids):
    return services.hold_create(user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:2])


@pytest.fixture
def no_sleep(monkeypatch):
    monkeypatch.setattr(services.settle.time, "sleep", lambda seconds: None)


def outage(monkeypatch, times: int | None):
    """Make step 3 meet a lost database connection `times` times (None: always)."""
    real = services.settle._booking_finalize
    calls = []

    def finalize(payment):
        calls.append(payment.pk)
        if times is None or len(calls) <= times:
            raise OperationalError("server closed the connection unexpectedly")
        return real(payment)

    monkeypatch.setattr(services.settle, "_booking_finalize", finalize)
    return calls


def make_stale(payment):
    Payment.objects.filter(pk=payment.pk).update(updated_at=timezone.now() - timedelta(minutes=1))


def test_an_outage_after_the_charge_is_retried_inside_the_request(
    customer, held, monkeypatch, no_sleep
):
    calls = outage(monkeypatch, times=2)
    outcome = confirm(customer, held)
    assert outcome.status == 201 and not outcome.replayed
    assert len(calls) == 3
    assert Booking.objects.get().pk == outcome.body["id"]
    assert Payment.objects.get().status == Payment.Status.SUCCEEDED
    assert TestProviderCharge.objects.count() == 1


@override_settings(VENUE_CONFIRM_SETTLE_SECONDS=0.5)
def test_a_longer_outage_leaves_the_key_to_a_repeat_which_settles_it(
    customer, held, monkeypatch, no_sleep
):
    outage(monkeypatch, times=None)
    with pytest.raises(OperationalError):
        confirm(customer, held)
    monkeypatch.undo()
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.CHARGED
    # While the payment is young, its request may still be at work: 409, try again soon.
    with pytest.raises(errors.RequestInProgress) as busy:
        confirm(customer, held)
    assert busy.value.retry_after == 2
    make_stale(payment)
    again = confirm(customer, held)
    assert again.status == 201 and again.replayed
    booking = Booking.objects.get()
    assert again.body["id"] == booking.pk
    assert Ticket.objects.filter(booking=booking).count() == 2
    assert confirm(customer, held).body == again.body
    assert TestProviderCharge.objects.count() == 1


def test_a_request_killed_after_the_charge_is_settled_by_its_repeat(customer, held, monkeypatch):
    def killed():
        raise CrashAfterCharge()

    after_charge(monkeypatch, killed)
    with pytest.raises(CrashAfterCharge):
        confirm(customer, held)
    monkeypatch.undo()
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.PENDING  # the charge was never recorded
    make_stale(payment)
    again = confirm(customer, held)
    assert again.status == 201
    assert Booking.objects.get().pk == again.body["id"]
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.provider_ref == TestProviderCharge.objects.get().ref


def test_a_repeat_after_a_lost_decline_may_pay_again(customer, held, monkeypatch):
    """The decline was recorded on the payment but its answer under the key was lost."""
    real = services.confirm._idempotency_finish

    def lost(record, status, body):
        raise OperationalError("the database system is shutting down")

    monkeypatch.setattr(services.confirm, "_idempotency_finish", lost)
    with pytest.raises(OperationalError):
        confirm(customer, held, token="decline")
    monkeypatch.setattr(services.confirm, "_idempotency_finish", real)
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.FAILED
    make_stale(payment)
    assert services.payments_reconcile() == 1
    assert not IdempotencyRecord.objects.exists()  # freed: the key may be used again
    assert confirm(customer, held).status == 201


def test_the_reconciler_beside_the_live_request_books_once(customer, held, monkeypatch):
    """The reconciler finds the charge at the provider while the request still runs."""
    after_charge(monkeypatch, lambda: services.payments_reconcile(older_than=timedelta(0)))
    outcome = confirm(customer, held)
    assert outcome.status == 201
    assert Booking.objects.get().pk == outcome.body["id"]
    assert Payment.objects.get().status == Payment.Status.SUCCEEDED
    assert TestProviderCharge.objects.filter(refunded=False).count() == 1


def test_a_charge_landing_after_the_reconciler_gave_up_is_refunded(customer, held, monkeypatch):
    """The reconciler found no charge yet and freed the key; then the provider charged."""
    real_charge = TestProvider.charge

    def slow_charge(self, **kwargs):
        services.payments_reconcile(older_than=timedelta(0))
        return real_charge(self, **kwargs)

    monkeypatch.setattr(TestProvider, "charge", slow_charge)
    with pytest.raises(errors.PaymentProviderError):
        confirm(customer, held)
    monkeypatch.undo()
    assert not Booking.objects.exists()
    assert Payment.objects.get().status == Payment.Status.REFUNDED
    assert TestProviderCharge.objects.get().refunded
    assert Hold.objects.filter(pk=held.pk).exists()  # still held: pay again
    assert confirm(customer, held).status == 201


def test_refunds_whose_task_was_lost_are_run_by_the_reconciler(customer, held, monkeypatch):
    from apps.bookings import events

    booking_id = confirm(customer, held).body["id"]
    monkeypatch.setattr(events, "refund_requested", lambda payment_id, **kwargs: None)
    services.booking_cancel(booking_id=booking_id, user=customer)
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.REFUND_PENDING
    make_stale(payment)
    assert services.payments_reconcile() == 1
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED
    assert TestProviderCharge.objects.get().refunded
    assert services.payments_reconcile() == 0  # nothing refunded twice
