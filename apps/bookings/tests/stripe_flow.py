"""Paying with Stripe in tests: confirm as the API does, deliver signed webhooks, crash.

For the tests of `apps.bookings.stripe_provider` against the local Stripe stub (the
`stripe_stub` fixture of tests/support/stripe.py).
"""

from datetime import timedelta

from django.utils import timezone

from apps.bookings import services
from apps.bookings.models import Hold, Payment
from apps.bookings.stripe_provider import StripeProvider
from tests.support.fixtures import client_for

CREATE = ("POST", "/v1/payment_intents")
REFUND = ("POST", "/v1/refunds")
WEBHOOK = "/api/v1/payments/stripe/webhook/"
RETURN_URL = "http://testserver/payments/{payment}/return/"


def body(hold_id: int, token: str) -> dict:
    return {"hold": hold_id, "payment": {"method": "stripe", "token": token}}


def pay(user, hold, token="pm_card_visa", key="key-1") -> services.Outcome:
    """Confirm as `POST bookings/confirm/` does, paying with Stripe."""
    return services.booking_confirm(
        user=user,
        hold_id=hold.pk,
        method="stripe",
        token=token,
        key=key,
        fingerprint=services.request_fingerprint(body(hold.pk, token)),
        return_url=RETURN_URL,
    )


def api_pay(client, hold, token="pm_card_visa", key="key-1"):
    return client.post(
        "/api/v1/bookings/confirm/", body(hold.pk, token), format="json", HTTP_IDEMPOTENCY_KEY=key
    )


def deliver(stub, event, client=None, **signing):
    payload, signature = stub.signed(event, **signing)
    client = client or client_for(None)
    return client.generic(
        "POST", WEBHOOK, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature
    )


def expire(hold) -> None:
    Hold.objects.filter(pk=hold.pk).update(expires_at=timezone.now() - timedelta(seconds=1))


def make_stale(payment) -> None:
    Payment.objects.filter(pk=payment.pk).update(updated_at=timezone.now() - timedelta(minutes=1))


class Crash(Exception):
    pass


def crash_after_charge(monkeypatch) -> None:
    """The request's process dies right after Stripe answered the charge."""
    real = StripeProvider.charge

    def charge(self, **kwargs):
        real(self, **kwargs)
        raise Crash()

    monkeypatch.setattr(StripeProvider, "charge", charge)
