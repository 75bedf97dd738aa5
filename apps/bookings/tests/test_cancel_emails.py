"""The customer is told of a cancellation, then of its refund, in the venue's time zone;
an organizer's cancellation writes its own email (operations), so these stay silent."""

import pytest
from django.core import mail

from apps.bookings import services
from apps.bookings.models import Payment
from tests.support.booking import book

pytestmark = pytest.mark.django_db


def _cancel(django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_cancel(**kwargs)


def test_customer_cancellation_sends_cancellation_then_refund(
    customer, reserved_slot, seat_ids, django_capture_on_commit_callbacks
):
    booking = book(customer, reserved_slot.pk, seat_ids=seat_ids[:2])
    mail.outbox.clear()
    _cancel(django_capture_on_commit_callbacks, user=customer, booking_id=booking.pk)

    subjects = [m.subject for m in mail.outbox]
    assert subjects == [
        f"Booking {booking.reference} is cancelled",
        f"Refund of {booking.total} for booking {booking.reference}",
    ]
    assert {tuple(m.to) for m in mail.outbox} == {(customer.email,)}
    venue = reserved_slot.screen.venue
    local = reserved_slot.starts_at.astimezone(venue.tzinfo)
    cancelled, refunded = mail.outbox
    assert f"A refund of {booking.total} is on its way" in cancelled.body
    assert local.strftime("%H:%M") in cancelled.body and venue.timezone in cancelled.body
    payment = Payment.objects.get(booking=booking)
    assert payment.provider_ref in refunded.body
    assert local.strftime("%H:%M") in refunded.body
    html = dict((m.alternatives[0][1], m.alternatives[0][0]) for m in mail.outbox)["text/html"]
    assert booking.reference in html


def test_organizer_cancellation_sends_neither(
    customer, reserved_slot, seat_ids, django_capture_on_commit_callbacks
):
    booking = book(customer, reserved_slot.pk, seat_ids=seat_ids[:1])
    mail.outbox.clear()
    _cancel(django_capture_on_commit_callbacks, booking_id=booking.pk, by_organizer=True)
    assert mail.outbox == []
    assert Payment.objects.get(booking=booking).status == Payment.Status.REFUNDED


def test_a_refund_runs_and_tells_once(
    customer, reserved_slot, seat_ids, django_capture_on_commit_callbacks
):
    from apps.bookings.tasks import refund_payment

    booking = book(customer, reserved_slot.pk, seat_ids=seat_ids[:1])
    _cancel(django_capture_on_commit_callbacks, user=customer, booking_id=booking.pk)
    mail.outbox.clear()
    payment = Payment.objects.get(booking=booking)
    refund_payment(payment.pk, True)  # redelivered: refunded already, nobody told again
    assert mail.outbox == []


def test_a_charge_without_booking_is_refunded_with_a_notice(customer, reserved_slot):
    from apps.bookings.tasks import refund_payment

    payment = Payment.objects.create(
        user=customer,
        slot=reserved_slot,
        amount="12.50",
        provider="test",
        status=Payment.Status.REFUND_PENDING,
    )
    refund_payment(payment.pk, True)
    (notice,) = mail.outbox
    assert notice.subject == "Refund of 12.50"
    assert "no booking was made" in notice.body
