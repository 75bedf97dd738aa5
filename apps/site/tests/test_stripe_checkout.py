"""Checkout on the site with Stripe configured, through the local Stripe stub: the pay
form offers Stripe's test cards, a 3-D Secure card goes to the bank's page (the stub's)
and back to `/payments/<id>/return/`, which books, or says what to do. Never a 500."""

import re

import pytest
import requests
from django.urls import reverse

from apps.bookings.models import Booking, Hold, Payment
from apps.scheduling.models import Slot
from tests.support.demo import DEMO_EMAIL, seeded_account, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    return seeded_account(DEMO_EMAIL)


@pytest.fixture
def signed_in(client, demo):
    return sign_in(client, demo.email, next="/")


@pytest.fixture
def hold(signed_in, demo):
    slot = Slot.objects.filter(seating="general").order_by("starts_at").first()
    assert signed_in.post(reverse("slot-hold", args=[slot.pk]), {"quantity": 2}).status_code == 302
    return Hold.objects.get(user=demo, slot=slot)


def bank_page(response) -> str:
    """The bank's address on the hand-off page (the link, and the meta refresh)."""
    page = response.content.decode()
    assert response.status_code == 200 and "Confirm the payment with your bank" in page
    url = re.search(r'href="([^"]+)" data-payment-action', page).group(1)
    assert f'content="0;url={url}"' in page
    return url


def back_from_bank(client, url: str, outcome: str):
    """The customer at the bank's page (the stub's), then sent back to the site."""
    bank = requests.get(f"{url}?outcome={outcome}", allow_redirects=False, timeout=5)
    assert bank.status_code == 302
    location = bank.headers["Location"]
    assert location.startswith("http://testserver/payments/")
    return client.get(location.removeprefix("http://testserver"), follow=True)


def test_the_pay_form_offers_stripe_test_cards(signed_in, hold, stripe_stub):
    page = signed_in.get(reverse("slot-detail", args=[hold.slot_id])).content.decode()
    assert 'data-method="stripe"' in page
    assert 'value="pm_card_visa" selected' in page
    assert "pm_card_authenticationRequired" in page and 'value="ok"' not in page


def test_a_3d_secure_checkout_goes_to_the_bank_and_back_and_books_once(
    signed_in, demo, hold, stripe_stub
):
    pay = reverse("hold-pay", args=[hold.pk])
    form = {"token": "pm_card_authenticationRequired", "idempotency_key": "k-3ds"}
    url = bank_page(signed_in.post(pay, form))
    assert url.startswith(f"{stripe_stub.url}/3ds/pi_")
    assert bank_page(signed_in.post(pay, form)) == url  # a reload: the same intent
    assert len(stripe_stub.intents) == 1

    page = back_from_bank(signed_in, url, "approve")
    booking = Booking.objects.get(user=demo)
    assert page.redirect_chain[-1][0] == reverse("booking-detail", args=[booking.pk])
    assert f"Booked. Your reference is {booking.reference}." in page.content.decode()
    # Coming back twice (the back button) books nothing more.
    payment = Payment.objects.get()
    again = signed_in.get(reverse("payment-return", args=[payment.pk]), follow=True)
    assert again.status_code == 200 and Booking.objects.count() == 1
    assert stripe_stub.count("POST", "/v1/refunds") == 0


def test_a_3d_secure_refusal_comes_back_to_the_checkout(signed_in, demo, hold, stripe_stub):
    pay = reverse("hold-pay", args=[hold.pk])
    form = {"token": "pm_card_authenticationRequired", "idempotency_key": "k-3ds"}
    page = back_from_bank(signed_in, bank_page(signed_in.post(pay, form)), "fail")
    assert page.redirect_chain[-1][0] == reverse("slot-detail", args=[hold.slot_id]) + "#checkout"
    assert "The payment was not completed" in page.content.decode()
    assert not Booking.objects.exists() and Hold.objects.filter(pk=hold.pk).exists()
    paid = signed_in.post(pay, {"token": "pm_card_visa", "idempotency_key": "k-2"}, follow=True)
    assert "Booked. Your reference is" in paid.content.decode()


def test_plain_cards_and_declines_on_the_site(signed_in, hold, stripe_stub):
    pay = reverse("hold-pay", args=[hold.pk])
    declined = signed_in.post(pay, {"token": "pm_card_chargeDeclined", "idempotency_key": "k1"})
    assert declined.status_code == 302
    page = signed_in.get(declined["Location"]).content.decode()
    assert "The payment was declined" in page
    wrong = signed_in.post(pay, {"token": "ok", "idempotency_key": "k2"}, follow=True)
    assert "Choose a card" in wrong.content.decode()  # the test provider's card is not offered
    paid = signed_in.post(pay, {"token": "pm_card_visa", "idempotency_key": "k3"})
    assert paid["Location"] == reverse("booking-detail", args=[Booking.objects.get().pk])


def test_the_return_page_is_the_payers_only_and_never_a_500(signed_in, hold, stripe_stub):
    pay = reverse("hold-pay", args=[hold.pk])
    signed_in.post(pay, {"token": "pm_card_authenticationRequired", "idempotency_key": "k"})
    payment = Payment.objects.get()
    back = reverse("payment-return", args=[payment.pk])
    waiting = signed_in.get(back, follow=True)
    assert "Your bank has not confirmed the payment yet" in waiting.content.decode()
    stripe_stub.outage = True  # Stripe down: still an answer, never an error page
    assert signed_in.get(back).status_code == 302
    stripe_stub.outage = False
    assert signed_in.get(reverse("payment-return", args=[999999])).status_code == 404
    signed_in.cookies.clear()
    assert signed_in.get(back)["Location"].startswith("/login/")
