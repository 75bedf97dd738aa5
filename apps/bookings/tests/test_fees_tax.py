"""Booking fees and tax: the event's settings priced into the hold once, kept on the
booking as its breakdown, shown by the API, refunded with the tickets they belong to."""

from decimal import Decimal

import pytest

from apps.bookings import services
from apps.bookings.models import Booking
from apps.catalog.services import event_update
from tests.support.booking import pay
from tests.support.fixtures import client_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def charged(event):
    return event_update(
        event=event,
        booking_fee_per_ticket=Decimal("1.00"),
        booking_fee_per_order=Decimal("0.50"),
        tax_rate=Decimal("10"),
        prices_include_tax=False,
    )


def test_fees_and_added_tax_make_the_total(customer, charged, reserved_slot, seat_ids):
    client = client_for(customer)
    body = client.post(
        "/api/v1/bookings/hold-seats/",
        {"slot": reserved_slot.pk, "seats": seat_ids[:2]},
        format="json",
    ).json()
    # 2 x 10.00 + fees 2.50 = 22.50; tax 10% added = 2.25 (rounded half up): 24.75.
    assert body["breakdown"] == {
        "subtotal": "20.00",
        "discount": "0.00",
        "fees": "2.50",
        "tax": "2.25",
        "tax_included": False,
        "total": "24.75",
        "currency": "EUR",
    }
    assert body["total"] == "24.75"
    booking = Booking.objects.get(pk=pay(customer, body["id"]).body["id"])
    assert booking.total == Decimal("24.75")
    assert sum(booking.tickets.values_list("price", flat=True)) == Decimal("24.75")
    detail = client.get(f"/api/v1/bookings/{booking.pk}/").json()
    assert detail["breakdown"]["fees"] == "2.50" and detail["breakdown"]["tax"] == "2.25"
    # One ticket cancelled: what was paid for it, its fees and tax included, comes back.
    result = services.booking_tickets_cancel(booking_id=booking.pk, numbers=[1], user=customer)
    assert result.amount == booking.tickets.get(number=1).price
    assert result.amount in (Decimal("12.37"), Decimal("12.38"))


def test_included_tax_is_shown_not_added(customer, event, reserved_slot, seat_ids):
    event_update(event=event, tax_rate=Decimal("23"), prices_include_tax=True)
    held = services.hold_create(user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:1])
    assert held.total == Decimal("10.00")
    assert held.breakdown["tax"] == "1.87" and held.breakdown["tax_included"] is True


def test_the_event_api_takes_the_settings(organizer, event):
    client = client_for(organizer)
    url = f"/api/v1/events/{event.pk}/"
    ok = client.patch(url, {"booking_fee_per_order": "1.50", "tax_rate": "21"}, format="json")
    assert ok.status_code == 200, ok.content
    detail = client.get(url).json()
    assert (detail["booking_fee_per_order"], detail["tax_rate"]) == ("1.50", "21.00")
    for bad in ({"tax_rate": "101"}, {"booking_fee_per_ticket": "-1"}):
        assert client.patch(url, bad, format="json").status_code == 400
