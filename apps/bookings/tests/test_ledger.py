"""The money ledger: a row per charge and per refund, written with the payment's move,
saying who and why, and for a showtime the totals reconcile with its bookings."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.bookings import errors, ledger, services
from apps.bookings.models import Hold, LedgerEntry, Payment
from apps.bookings.payments import TestProvider
from apps.scheduling.models import Slot
from tests.support.booking import book, ledger_rows, pay

from .test_confirm import after_charge

pytestmark = pytest.mark.django_db


def test_a_booking_is_charged_once_and_its_cancellation_refunded_once(
    customer, reserved_slot, seat_ids, django_capture_on_commit_callbacks
):
    booking = book(customer, reserved_slot.pk, seat_ids=seat_ids[:2])
    payment = Payment.objects.get(booking=booking)
    charged = ("charge", booking.total, "booked", customer.pk, booking.pk)
    assert ledger_rows(reserved_slot) == [charged]
    charge = LedgerEntry.objects.get(kind="charge")
    assert (charge.provider, charge.provider_ref) == ("test", payment.provider_ref)
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_cancel(user=customer, booking_id=booking.pk)
    assert ledger_rows(reserved_slot)[1] == (
        "refund",
        booking.total,
        "cancelled_by_customer",
        customer.pk,
        booking.pk,
    )
    # The refund task redelivered: no second row (and the database would refuse one).
    services.payment_refund(payment_id=payment.pk)
    assert LedgerEntry.objects.filter(kind="refund").count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        ledger.record_refund(payment)


def test_a_charge_that_could_not_book_is_charged_and_refunded_without_a_booking(
    customer, reserved_slot, seat_ids, monkeypatch
):
    hold = services.hold_create(user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:1])
    # The hold runs out while the customer pays: step 3 refunds instead of booking.
    past = timezone.now() - timedelta(seconds=1)
    after_charge(monkeypatch, lambda: Hold.objects.filter(pk=hold.pk).update(expires_at=past))
    with pytest.raises(errors.HoldExpired):
        pay(customer, hold.pk)
    assert [(k, r, by, b) for k, _, r, by, b in ledger_rows(reserved_slot)] == [
        ("charge", "not_booked", customer.pk, None),
        ("refund", "not_booked", None, None),
    ]
    assert ledger.slot_ledger(reserved_slot.pk).reconciles


def test_a_charge_landing_after_its_payment_was_given_up_is_in_the_books(
    customer, reserved_slot, seat_ids, monkeypatch
):
    hold = services.hold_create(user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:1])
    real_charge = TestProvider.charge

    def slow_charge(self, **kwargs):
        services.payments_reconcile(older_than=timedelta(0))  # gives the payment up
        return real_charge(self, **kwargs)

    monkeypatch.setattr(TestProvider, "charge", slow_charge)
    with pytest.raises(errors.PaymentProviderError):
        pay(customer, hold.pk)
    assert [k for k, *_ in ledger_rows(reserved_slot)] == ["charge", "refund"]
    assert ledger.slot_ledger(reserved_slot.pk).reconciles


def test_the_showtimes_books_reconcile_to_the_cent(
    customer, people, general_slot, django_capture_on_commit_callbacks
):
    a, b, c = people(3, prefix="books")
    kept = book(a, general_slot.pk, quantity=3)
    book(b, general_slot.pk, quantity=2)
    gone = book(c, general_slot.pk, quantity=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_cancel(user=c, booking_id=gone.pk)
    books = ledger.slot_ledger(general_slot.pk)
    assert books.count == 4  # three charges, one refund
    price = gone.total  # one place
    assert books.charged == 6 * price and books.refunded == price
    assert books.net == 5 * price == books.booked == kept.total + 2 * price
    assert books.owed == 0 and books.reconciles
    # A refund decided but not yet made is "on its way", and still reconciles.
    other = book(customer, general_slot.pk, quantity=1)
    services.booking_cancel(user=customer, booking_id=other.pk)  # refund task not run
    books = ledger.slot_ledger(general_slot.pk)
    assert books.owed == other.total and books.reconciles


def test_a_showtime_started_refuses_nothing_in_the_books(customer, reserved_slot, seat_ids):
    booking = book(customer, reserved_slot.pk, seat_ids=seat_ids[:1])
    Slot.objects.filter(pk=reserved_slot.pk).update(starts_at=timezone.now() - timedelta(hours=1))
    with pytest.raises(errors.CancellationClosed):
        services.booking_cancel(user=customer, booking_id=booking.pk)
    assert [k for k, *_ in ledger_rows(reserved_slot)] == ["charge"]
