"""The `stripe` provider through the confirm protocol, against the local Stripe stub.

The stub (tests/support/stripe_stub.py) answers Stripe's documented request and
response shapes on a loopback port; its `calls` prove how often VENUE asked for a
charge or a refund. What a crash at each step leaves, and who settles it, is in the
README ("Payments: Stripe").
"""

from datetime import timedelta
from decimal import Decimal

import pytest
import requests
import stripe

from apps.bookings import services
from apps.bookings.models import Booking, Hold, IdempotencyRecord, Payment
from apps.bookings.stripe_provider import StripeProvider, minor_units
from tests.support.fixtures import client_for

from .stripe_flow import (
    CREATE,
    REFUND,
    Crash,
    api_pay,
    crash_after_charge,
    deliver,
    expire,
    make_stale,
    pay,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(customer, reserved_slot, seat_ids):
    return services.hold_create(user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:2])


def test_minor_units_are_exact():
    assert minor_units(Decimal("20.00"), "eur") == 2000
    assert minor_units(Decimal("0.10"), "usd") == 10
    assert minor_units(Decimal("1200"), "jpy") == 1200
    with pytest.raises(ValueError):
        minor_units(Decimal("1.005"), "eur")


def test_a_card_payment_books_once_however_often_confirm_is_repeated(
    customer, held, stripe_stub, django_capture_on_commit_callbacks
):
    client = client_for(customer)
    with django_capture_on_commit_callbacks(execute=True):
        first = api_pay(client, held)
    assert first.status_code == 201, first.content
    again = api_pay(client, held)
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.SUCCEEDED and payment.booking_id == first.json()["id"]
    assert stripe_stub.count(*CREATE) == 1
    (intent,) = stripe_stub.intents.values()
    assert payment.provider_ref == intent["id"] and intent["status"] == "succeeded"
    assert (intent["amount"], intent["currency"]) == (2000, "eur")  # 2 seats at 10.00
    assert intent["metadata"] == {"venue_key": payment.idempotency_key}
    assert intent["payment_method_types"] == ["card"]


def test_a_declined_card_is_a_402_and_the_hold_is_kept(customer, held, stripe_stub):
    client = client_for(customer)
    declined = api_pay(client, held, token="pm_card_chargeDeclined")
    assert declined.status_code == 402
    assert declined.json()["error"]["code"] == "payment_declined"
    payment = Payment.objects.get()
    assert (payment.status, payment.error) == (Payment.Status.FAILED, "generic_decline")
    assert Hold.objects.filter(pk=held.pk).exists()
    assert api_pay(client, held, token="pm_card_chargeDeclined").status_code == 402  # replayed
    assert stripe_stub.count(*CREATE) == 1
    assert api_pay(client, held, key="key-2").status_code == 201  # another card, a new key


def test_an_unknown_payment_method_is_declined_not_an_error(customer, held, stripe_stub):
    response = api_pay(client_for(customer), held, token="pm_no_such_card")
    assert response.status_code == 402
    assert Payment.objects.get().error == "resource_missing"


def test_3d_secure_answers_202_then_the_customer_authorises_and_it_books_once(
    customer, held, stripe_stub
):
    client = client_for(customer)
    first = api_pay(client, held, token="pm_card_authenticationRequired")
    assert first.status_code == 202, first.content
    payment = Payment.objects.get()
    answer = first.json()
    assert answer["status"] == "requires_action" and answer["payment"] == payment.pk
    assert answer["redirect_url"] == f"{stripe_stub.url}/3ds/{payment.provider_ref}"
    assert payment.status == Payment.Status.PENDING
    # Repeats answer the same 202 and charge nothing again.
    again = api_pay(client, held, token="pm_card_authenticationRequired")
    assert again.status_code == 202 and again.json() == answer
    assert client.get(f"/api/v1/payments/{payment.pk}/").json()["status"] == "pending"

    bank = requests.get(answer["redirect_url"] + "?outcome=approve", allow_redirects=False)
    assert bank.status_code == 302
    assert bank.headers["Location"].startswith(f"http://testserver/payments/{payment.pk}/return/?")
    polled = client.get(f"/api/v1/payments/{payment.pk}/")
    booking = Booking.objects.get()
    assert polled.json() == {"id": payment.pk, "status": "succeeded", "booking": booking.pk}
    replay = api_pay(client, held, token="pm_card_authenticationRequired")
    assert replay.status_code == 201 and replay.json()["id"] == booking.pk
    assert stripe_stub.count(*CREATE) == 1 and stripe_stub.count(*REFUND) == 0


def test_3d_secure_refused_by_the_bank_fails_the_payment_and_keeps_the_hold(
    customer, held, stripe_stub
):
    client = client_for(customer)
    answer = api_pay(client, held, token="pm_card_authenticationRequired").json()
    requests.get(answer["redirect_url"] + "?outcome=fail", allow_redirects=False)
    polled = client.get(f"/api/v1/payments/{answer['payment']}/").json()
    assert polled == {"id": answer["payment"], "status": "failed", "booking": None}
    assert Payment.objects.get().error == "payment_intent_authentication_failure"
    assert Hold.objects.filter(pk=held.pk).exists()
    replay = api_pay(client, held, token="pm_card_authenticationRequired")
    assert replay.status_code == 402 and replay.json()["error"]["code"] == "payment_declined"
    assert api_pay(client, held, key="key-2").status_code == 201


def test_a_payment_is_its_owners_only(customer, make_user, held, stripe_stub):
    answer = api_pay(client_for(customer), held, token="pm_card_authenticationRequired").json()
    other = make_user("other@example.org", "customer")
    assert client_for(other).get(f"/api/v1/payments/{answer['payment']}/").status_code == 404
    assert client_for(None).get(f"/api/v1/payments/{answer['payment']}/").status_code == 401


def test_cancelling_a_stripe_booking_refunds_it_once(
    customer, held, stripe_stub, django_capture_on_commit_callbacks
):
    booking_id = pay(customer, held).body["id"]
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_cancel(booking_id=booking_id, user=customer)
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.REFUNDED
    assert stripe_stub.count(*REFUND) == 1 and stripe_stub.refunded(payment.provider_ref) == 2000
    # Stripe's own notice of it, and the reconciler, change nothing.
    charge = {"id": "ch_1", "object": "charge", "payment_intent": payment.provider_ref,
              "refunded": True, "amount_refunded": 2000}  # fmt: skip
    assert deliver(stripe_stub, stripe_stub.event("charge.refunded", charge)).status_code == 200
    assert services.payments_reconcile(older_than=timedelta(0)) == 0
    assert stripe_stub.count(*REFUND) == 1


def test_a_refund_stripe_reports_settles_a_payment_waiting_for_it(
    customer, held, stripe_stub, monkeypatch
):
    from apps.bookings import events

    booking_id = pay(customer, held).body["id"]
    monkeypatch.setattr(events, "refund_requested", lambda payment_id: None)  # task lost
    services.booking_cancel(booking_id=booking_id, user=customer)
    payment = Payment.objects.get()
    StripeProvider().refund(ref=payment.provider_ref, amount=payment.amount)  # by hand
    charge = {"id": "ch_1", "object": "charge", "payment_intent": payment.provider_ref,
              "refunded": True}  # fmt: skip
    assert deliver(stripe_stub, stripe_stub.event("charge.refunded", charge)).status_code == 200
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED
    assert services.payments_reconcile(older_than=timedelta(0)) == 0
    assert stripe_stub.count(*REFUND) == 1


def test_partial_refunds_and_a_retried_refund(customer, held, stripe_stub):
    pay(customer, held)
    ref = Payment.objects.get().provider_ref
    provider = StripeProvider()
    provider.refund(ref=ref, amount=Decimal("5.00"))
    provider.refund(ref=ref, amount=Decimal("5.00"))  # a retry: the same refund
    assert stripe_stub.refunded(ref) == 500
    provider.refund(ref=ref, amount=Decimal("5.00"), key="second-part")
    assert stripe_stub.refunded(ref) == 1000
    with pytest.raises(stripe.InvalidRequestError):
        provider.refund(ref=ref, amount=Decimal("15.00"))  # more than is left
    provider.refund(ref=ref, amount=Decimal("10.00"))
    provider.refund(ref=ref, amount=Decimal("1.00"), key="after-all")  # nothing left: done
    assert stripe_stub.refunded(ref) == 2000


def test_the_reconciler_settles_a_stale_payment_from_the_intent_itself(
    customer, held, stripe_stub, monkeypatch
):
    crash_after_charge(monkeypatch)
    with pytest.raises(Crash):
        pay(customer, held)
    monkeypatch.undo()
    payment = Payment.objects.get()
    assert services.payments_reconcile() == 0  # not stale yet: its request may be at work
    make_stale(payment)
    assert services.payments_reconcile() == 1
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert stripe_stub.count("GET", f"/v1/payment_intents/{payment.provider_ref}") == 1
    assert stripe_stub.count("GET", "/v1/payment_intents/search") == 0
    assert pay(customer, held).body["id"] == payment.booking_id


def test_a_crash_before_confirming_is_cancelled_and_the_key_freed(
    customer, held, stripe_stub, monkeypatch
):
    """Died between creating the intent and storing its id: nothing was charged."""

    def create_only(self, *, amount, token, key, remember=None, return_url="", currency="EUR"):
        self.intents.create(
            {"amount": 2000, "currency": "eur", "payment_method": token,
             "metadata": {"venue_key": key}},
            {"idempotency_key": key},
        )  # fmt: skip
        raise Crash()

    monkeypatch.setattr(StripeProvider, "charge", create_only)
    with pytest.raises(Crash):
        pay(customer, held)
    monkeypatch.undo()
    payment = Payment.objects.get()
    assert not payment.provider_ref
    make_stale(payment)
    assert services.payments_reconcile() == 1
    payment.refresh_from_db()
    assert payment.status == Payment.Status.FAILED
    (intent,) = stripe_stub.intents.values()
    assert intent["status"] == "canceled"  # found by search, and never to be confirmed
    assert not IdempotencyRecord.objects.exists()
    assert pay(customer, held).status == 201


def test_a_customer_still_at_3d_secure_is_waited_for_until_the_hold_ends(
    customer, held, stripe_stub
):
    pay(customer, held, token="pm_card_authenticationRequired")
    payment = Payment.objects.get()
    make_stale(payment)
    assert services.payments_reconcile() == 0  # the customer may still authorise
    assert Payment.objects.get().status == Payment.Status.PENDING
    expire(held)
    assert services.payments_reconcile() == 1
    payment.refresh_from_db()
    assert payment.status == Payment.Status.FAILED
    assert stripe_stub.intents[payment.provider_ref]["status"] == "canceled"
    replay = pay(customer, held, token="pm_card_authenticationRequired")
    assert replay.status == 410 and replay.body["error"]["code"] == "hold_expired"


def test_stripe_down_before_the_charge_is_a_502_and_frees_the_key(customer, held, stripe_stub):
    stripe_stub.outage = True
    response = api_pay(client_for(customer), held)
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "payment_provider_error"
    assert Payment.objects.get().status == Payment.Status.FAILED
    assert not IdempotencyRecord.objects.exists()
    stripe_stub.outage = False
    assert api_pay(client_for(customer), held).status_code == 201  # the same key


def test_stripe_silent_while_confirming_leaves_the_payment_to_settle(customer, held, stripe_stub):
    """No answer to the confirm call: money may have moved, so nothing is given up."""
    stripe_stub.outage = "/confirm"
    first = pay(customer, held)
    assert first.status == 202 and first.body["status"] == "processing"
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.PENDING and payment.provider_ref
    stripe_stub.outage = True
    make_stale(payment)
    assert services.payments_reconcile() == 0  # Stripe down: ask again later
    stripe_stub.outage = False
    assert services.payments_reconcile() == 1  # never confirmed: cancelled, failed
    assert Payment.objects.get().status == Payment.Status.FAILED
    assert stripe_stub.intents[payment.provider_ref]["status"] == "canceled"
    assert pay(customer, held).status == 402  # the key's answer; the hold is kept
