"""The organizer's promo codes over the API: create, list with uses, change, retire."""

from decimal import Decimal

import pytest

from apps.bookings import services
from apps.bookings.models import PromoCode
from tests.support.fixtures import client_for

pytestmark = pytest.mark.django_db


def test_the_organizer_creates_lists_and_retires_a_code(
    organizer, customer, event, reserved_slot, seat_ids
):
    client = client_for(organizer)
    url = f"/api/v1/events/{event.pk}/promo-codes/"
    made = client.post(
        url,
        {"code": "spring-20", "kind": "percent", "amount": "20", "slots": [reserved_slot.pk],
         "categories": ["standard"], "max_uses": 100, "max_uses_per_customer": 2},
        format="json",
    )  # fmt: skip
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["code"], body["slots"], body["uses"], body["active"]) == (
        "SPRING-20",
        [reserved_slot.pk],
        0,
        True,
    )
    services.hold_create(
        user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:1], promo_code="Spring-20"
    )
    assert client.get(url).json()[0]["uses"] == 1
    again = client.post(url, {"code": "SPRING-20", "kind": "fixed", "amount": "1"}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "promo_code_taken"
    retired = client.patch(f"/api/v1/promo-codes/{body['id']}/", {"active": False}, format="json")
    assert retired.status_code == 200 and retired.json()["active"] is False
    assert PromoCode.objects.get().amount == Decimal("20.00")


@pytest.mark.parametrize(
    "body",
    [
        {"code": "X", "kind": "fixed", "amount": "1"},  # too short
        {"code": "BIG", "kind": "percent", "amount": "101"},
        {"code": "NEG", "kind": "fixed", "amount": "0"},
        {"code": "WIN", "kind": "fixed", "amount": "1", "valid_from": "2030-01-02T00:00:00Z",
         "valid_until": "2030-01-01T00:00:00Z"},
        {"code": "SLOT", "kind": "fixed", "amount": "1", "slots": [999999]},
    ],
)  # fmt: skip
def test_bad_codes_are_400(organizer, event, body):
    response = client_for(organizer).post(
        f"/api/v1/events/{event.pk}/promo-codes/", body, format="json"
    )
    assert response.status_code == 400, response.content
    assert not PromoCode.objects.exists()


def test_codes_are_the_organizers_own(rival_client, customer, event):
    code = services.promo_code_create(event=event, code="MINE", kind="fixed", amount=Decimal(1))
    assert rival_client.get(f"/api/v1/events/{event.pk}/promo-codes/").status_code == 404
    assert (
        rival_client.patch(f"/api/v1/promo-codes/{code.pk}/", {}, format="json").status_code == 404
    )
    assert client_for(customer).get(f"/api/v1/promo-codes/{code.pk}/").status_code == 403
