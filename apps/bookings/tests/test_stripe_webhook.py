"""Stripe's webhook: signatures, events twice, late or out of order, before the confirm
returned; a charge whose booking failed is refunded once. Against the local stub."""

from datetime import timedelta

import pytest
from django.core.cache import cache

from apps.bookings import services
from apps.bookings.models import Booking, Payment
from apps.bookings.stripe_provider import StripeProvider
from tests.support.fixtures import client_for

from .stripe_flow import (
    CREATE,
    REFUND,
    WEBHOOK,
    Crash,
    crash_after_charge,
    deliver,
    expire,
    pay,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(customer, reserved_slot, seat_ids):
    return services.hold_create(user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:2])


@pytest.mark.parametrize(
    "signing",
    [
        {"secret": "whsec_someone_else"},
        {"at": 1_000_000_000},  # signed long ago: a replay
    ],
    ids=["wrong secret", "too old"],
)
def test_a_webhook_with_a_bad_signature_is_a_400(customer, held, stripe_stub, signing):
    pay(customer, held, token="pm_card_authenticationRequired")
    stripe_stub.approve(Payment.objects.get().provider_ref)
    event = stripe_stub.intent_event("payment_intent.succeeded", Payment.objects.get().provider_ref)
    response = deliver(stripe_stub, event, **signing)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_signature"
    assert not Booking.objects.exists()


def test_a_webhook_without_a_signature_or_json_is_a_400(stripe_stub):
    client = client_for(None)
    missing = client.post(WEBHOOK, {"type": "payment_intent.succeeded"}, format="json")
    payload, signature = stripe_stub.signed({"x": 1})
    garbage = client.generic(
        "POST", WEBHOOK, b"\xff\xfe not json", content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature,
    )  # fmt: skip
    for response in (missing, garbage):
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_signature"


def test_the_same_succeeded_event_twice_books_once(customer, held, stripe_stub):
    outcome = pay(customer, held, token="pm_card_authenticationRequired")
    assert outcome.status == 202
    ref = Payment.objects.get().provider_ref
    stripe_stub.approve(ref)
    event = stripe_stub.intent_event("payment_intent.succeeded", ref)
    assert deliver(stripe_stub, event).status_code == 200
    cache.clear()  # the second delivery must change nothing even when not skipped as seen
    assert deliver(stripe_stub, event).status_code == 200
    assert deliver(stripe_stub, event).status_code == 200  # seen: skipped
    assert Booking.objects.count() == 1
    assert Payment.objects.get().status == Payment.Status.SUCCEEDED
    assert stripe_stub.count(*REFUND) == 0
    replay = pay(customer, held, token="pm_card_authenticationRequired")
    assert replay.status == 201 and replay.body["id"] == Booking.objects.get().pk


def test_events_out_of_order_settle_from_what_stripe_says_now(customer, held, stripe_stub):
    pay(customer, held, token="pm_card_authenticationRequired")
    ref = Payment.objects.get().provider_ref
    early = stripe_stub.intent_event("payment_intent.requires_action", ref)
    stripe_stub.approve(ref)
    succeeded = stripe_stub.intent_event("payment_intent.succeeded", ref)
    assert deliver(stripe_stub, succeeded).status_code == 200
    assert deliver(stripe_stub, early).status_code == 200  # the older event, late
    # A forged-looking "failed" event (data out of date) cannot undo the booking either.
    failed = stripe_stub.event(
        "payment_intent.payment_failed", {**succeeded["data"]["object"], "status": "canceled"}
    )
    assert deliver(stripe_stub, failed).status_code == 200
    assert Payment.objects.get().status == Payment.Status.SUCCEEDED
    assert Booking.objects.count() == 1


def test_a_succeeded_event_before_the_confirm_returned_settles_once(
    customer, held, stripe_stub, monkeypatch
):
    """The request died after Stripe charged: the webhook books, the repeat answers it."""
    crash_after_charge(monkeypatch)
    with pytest.raises(Crash):
        pay(customer, held)
    monkeypatch.undo()
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.PENDING and payment.provider_ref  # named first
    event = stripe_stub.intent_event("payment_intent.succeeded", payment.provider_ref)
    assert deliver(stripe_stub, event).status_code == 200
    cache.clear()
    assert deliver(stripe_stub, event).status_code == 200
    booking = Booking.objects.get()
    again = pay(customer, held)
    assert again.status == 201 and again.replayed and again.body["id"] == booking.pk
    assert stripe_stub.count(*CREATE) == 1 and stripe_stub.count(*REFUND) == 0


def test_a_succeeded_event_while_the_confirm_runs_books_once(
    customer, held, stripe_stub, monkeypatch
):
    real = StripeProvider.charge

    def charge(self, **kwargs):
        result = real(self, **kwargs)
        event = stripe_stub.intent_event("payment_intent.succeeded", result.ref)
        assert deliver(stripe_stub, event).status_code == 200
        return result

    monkeypatch.setattr(StripeProvider, "charge", charge)
    outcome = pay(customer, held)
    assert outcome.status == 201 and outcome.body["id"] == Booking.objects.get().pk
    assert Payment.objects.get().status == Payment.Status.SUCCEEDED


def test_a_charge_whose_hold_expired_is_refunded_once(customer, held, stripe_stub, monkeypatch):
    crash_after_charge(monkeypatch)
    with pytest.raises(Crash):
        pay(customer, held)
    monkeypatch.undo()
    expire(held)
    payment = Payment.objects.get()
    event = stripe_stub.intent_event("payment_intent.succeeded", payment.provider_ref)
    for _ in range(2):
        cache.clear()
        assert deliver(stripe_stub, event).status_code == 200
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED and not Booking.objects.exists()
    assert stripe_stub.count(*REFUND) == 1
    assert stripe_stub.refunded(payment.provider_ref) == 2000
    assert services.payments_reconcile(older_than=timedelta(0)) == 0
    assert pay(customer, held).status == 410  # the key's answer: hold again


def test_authorising_after_the_hold_expired_is_refunded(customer, held, stripe_stub):
    pay(customer, held, token="pm_card_authenticationRequired")
    payment = Payment.objects.get()
    expire(held)
    stripe_stub.approve(payment.provider_ref)
    deliver(stripe_stub, stripe_stub.intent_event("payment_intent.succeeded", payment.provider_ref))
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED
    assert stripe_stub.refunded(payment.provider_ref) == 2000
    assert pay(customer, held, token="pm_card_authenticationRequired").status == 410
