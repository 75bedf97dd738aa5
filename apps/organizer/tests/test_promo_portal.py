"""Promo codes in the portal, and a customer applying one on the showtime page."""

from decimal import Decimal

import pytest

from apps.bookings import services as bookings
from apps.bookings.models import Booking, Hold, PromoCode
from tests.support.booking import pay
from tests.support.fixtures import *  # noqa: F403
from tests.support.showtimes import *  # noqa: F403

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_organizer_makes_and_retires_a_code(client, organizer, event, reserved_slot):
    client.force_login(organizer)
    url = f"/organizer/events/{event.pk}/promo-codes/"
    assert f'href="{url}"' in client.get("/organizer/events/").content.decode()
    response = client.post(
        url,
        {"code": "spring", "kind": "percent", "amount": "15", "per": "order",
         "slots": [reserved_slot.pk], "categories": "Standard, premium", "max_uses": "50"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    code = PromoCode.objects.get()
    assert (code.code, code.categories, list(code.slots.all())) == (
        "SPRING",
        ["standard", "premium"],
        [reserved_slot],
    )
    page = client.get(url).content.decode()
    assert 'data-code="SPRING"' in page and "0 of 50" in page
    bad = client.post(url, {"code": "BIG", "kind": "percent", "amount": "120", "per": "order"})
    assert bad.status_code == 200 and "at most 100" in bad.content.decode()
    client.post(f"{url}{code.pk}/retire/")
    code.refresh_from_db()
    assert code.active is False


def test_a_customer_applies_a_code_to_the_hold(client, customer, event, reserved_slot, seat_ids):
    bookings.promo_code_create(event=event, code="TEN", kind="fixed", amount=Decimal("10"))
    hold = bookings.hold_create(user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:2])
    client.force_login(customer)
    wrong = client.post(f"/holds/{hold.pk}/promo/", {"promo_code": "nope"}, follow=True)
    assert "unknown, expired or used up" in wrong.content.decode()
    assert Hold.objects.get(user=customer).pk == hold.pk  # kept as it was
    page = client.post(f"/holds/{hold.pk}/promo/", {"promo_code": "ten"}, follow=True)
    html = page.content.decode()
    assert "Code TEN applied: 10.00 off." in html
    assert "data-subtotal>20.00<" in html and "data-discount>−10.00<" in html
    held = Hold.objects.get(user=customer)
    assert (held.total, held.promo_code.code) == (Decimal("10.00"), "TEN")
    booking = Booking.objects.get(pk=pay(customer, held.pk).body["id"])
    mine = client.get(f"/bookings/{booking.pk}/").content.decode()
    assert "Discount (TEN)" in mine and "data-discount>−10.00<" in mine
