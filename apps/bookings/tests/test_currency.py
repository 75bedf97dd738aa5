"""An event's currency: the organizer picks it, prices and breakdowns say it, and the
payment is charged and refunded in it (here against the local Stripe stub)."""

import pytest

from apps.bookings import services
from apps.bookings.models import Payment
from tests.support.fixtures import client_for

from .stripe_flow import REFUND, pay

pytestmark = pytest.mark.django_db


def test_new_events_sell_in_the_sites_currency(event, reserved_slot):
    assert event.currency == "EUR"
    assert client_for(None).get(f"/api/v1/slots/{reserved_slot.pk}/").json()["currency"] == "EUR"


def test_the_organizer_picks_a_currency_and_an_unknown_one_is_refused(organizer, event):
    client = client_for(organizer)
    changed = client.patch(f"/api/v1/events/{event.pk}/", {"currency": "GBP"}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["currency"] == "GBP"
    refused = client.patch(f"/api/v1/events/{event.pk}/", {"currency": "XYZ"}, format="json")
    assert refused.status_code == 400
    assert "currency" in refused.json()["error"]["details"]


def test_a_payment_is_charged_and_refunded_in_the_events_currency(
    organizer, customer, event, reserved_slot, seat_ids, stripe_stub,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    client_for(organizer).patch(f"/api/v1/events/{event.pk}/", {"currency": "GBP"}, format="json")
    hold = services.hold_create(user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:2])
    assert hold.breakdown["currency"] == "GBP"
    held = client_for(customer).get("/api/v1/holds/").json()["results"][0]
    assert held["breakdown"]["currency"] == "GBP"
    booked = pay(customer, hold)
    assert booked.status == 201, booked.body
    assert booked.body["breakdown"]["currency"] == "GBP"
    payment = Payment.objects.get()
    (intent,) = stripe_stub.intents.values()
    assert (payment.currency, intent["amount"], intent["currency"]) == ("GBP", 2000, "gbp")
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_cancel(booking_id=booked.body["id"], user=customer)
    assert stripe_stub.count(*REFUND) == 1 and stripe_stub.refunded(payment.provider_ref) == 2000
    # The event's currency changing later leaves what was sold in the old one as it was.
    client_for(organizer).patch(f"/api/v1/events/{event.pk}/", {"currency": "USD"}, format="json")
    assert Payment.objects.get().currency == "GBP"
