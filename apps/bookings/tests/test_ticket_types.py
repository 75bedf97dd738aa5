"""Ticket types: a type per seat (or a quantity per type), priced per seat category by
the event with a showtime's own overrides; tickets keep their type; promo codes may be
scoped to types."""

from decimal import Decimal

import pytest

from apps.bookings import errors, services
from apps.bookings.models import Booking, Hold
from apps.scheduling import services as scheduling
from apps.scheduling.errors import InvalidPrices
from tests.support.booking import api_confirm, api_hold
from tests.support.fixtures import client_for

pytestmark = pytest.mark.django_db

TYPES = [
    {"code": "adult", "name": "Adult"},
    {"code": "child", "name": "Child", "prices": {"standard": "6.00", "premium": "9.00"}},
    {"code": "senior", "name": "Senior", "prices": {"standard": "7.50"}},
]


@pytest.fixture
def typed(event, reserved_slot):
    scheduling.ticket_types_set(event=event, types=TYPES)
    return reserved_slot


def test_the_showtime_lists_what_each_type_costs(typed):
    body = client_for(None).get(f"/api/v1/slots/{typed.pk}/").json()
    assert body["ticket_types"] == [
        {"code": "adult", "name": "Adult", "prices": {"premium": "15.00", "standard": "10.00"}},
        {"code": "child", "name": "Child", "prices": {"premium": "9.00", "standard": "6.00"}},
        {"code": "senior", "name": "Senior", "prices": {"standard": "7.50"}},
    ]


def test_an_event_without_types_sells_one_standard_type(reserved_slot):
    body = client_for(None).get(f"/api/v1/slots/{reserved_slot.pk}/").json()
    assert [t["code"] for t in body["ticket_types"]] == ["standard"]


def test_a_hold_names_a_type_per_seat_and_the_tickets_keep_them(customer, typed, seat_ids):
    client = client_for(customer)
    held = api_hold(client, typed.pk, seats=[{"id": seat_ids[0], "type": "adult"},
                                             {"id": seat_ids[1], "type": "child"}])  # fmt: skip
    assert held.status_code == 201, held.content
    assert held.json()["total"] == "16.00"
    assert held.json()["ticket_types"] == {"adult": 1, "child": 1}
    booked = api_confirm(client, held.json()["id"])
    assert booked.status_code == 201, booked.content
    detail = client.get(f"/api/v1/bookings/{booked.json()['id']}/").json()
    assert [(t["seat"], t["type"], t["type_name"], t["price"]) for t in detail["tickets"]] == [
        (seat_ids[0], "adult", "Adult", "10.00"),
        (seat_ids[1], "child", "Child", "6.00"),
    ]


def test_plain_seat_ids_take_the_first_type(customer, typed, seat_ids):
    hold = services.hold_create(user=customer, slot_id=typed.pk, seat_ids=seat_ids[:2])
    assert hold.total == Decimal("20.00")
    assert {code for code, _ in hold.ticket_types.values()} == {"adult"}


def test_a_type_not_sold_in_a_category_is_refused_and_nothing_held(customer, typed, seat_ids):
    premium = typed.screen.seats.filter(category="premium").values_list("id", flat=True)[0]
    client = client_for(customer)
    refused = api_hold(client, typed.pk, seats=[{"id": premium, "type": "senior"}])
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "invalid_ticket_type"
    unknown = api_hold(client, typed.pk, seats=[{"id": seat_ids[0], "type": "student"}])
    assert unknown.json()["error"]["code"] == "invalid_ticket_type"
    assert unknown.json()["error"]["details"]["types"] == ["adult", "child", "senior"]
    assert not Hold.objects.exists()


def test_a_showtime_overrides_a_types_price(customer, typed, seat_ids):
    scheduling.slot_update(slot=typed, type_prices={"child": {"standard": "4.00"}})
    hold = services.hold_create(
        user=customer, slot_id=typed.pk, seat_ids=seat_ids[:1], seat_types={seat_ids[0]: "child"}
    )
    assert hold.total == Decimal("4.00")


def test_a_showtime_cannot_price_a_type_the_event_lacks(typed):
    with pytest.raises(InvalidPrices):
        scheduling.slot_update(slot=typed, type_prices={"student": {"standard": "4.00"}})
    with pytest.raises(InvalidPrices):
        scheduling.slot_update(slot=typed, type_prices={"adult": {"standard": "4.00"}})


def test_general_admission_takes_quantities_per_type(customer, event, general_slot):
    scheduling.ticket_types_set(
        event=event,
        types=[{"code": "adult", "name": "Adult"},
               {"code": "child", "name": "Child", "prices": {"general": "12.50"}}],
    )  # fmt: skip
    client = client_for(customer)
    held = api_hold(client, general_slot.pk, quantities={"adult": 2, "child": 1})
    assert held.status_code == 201, held.content
    assert (held.json()["quantity"], held.json()["total"]) == (3, "62.50")
    booked = api_confirm(client, held.json()["id"])
    booking = Booking.objects.get(pk=booked.json()["id"])
    assert sorted(booking.tickets.values_list("ticket_type", "price")) == [
        ("adult", Decimal("25.00")),
        ("adult", Decimal("25.00")),
        ("child", Decimal("12.50")),
    ]


def test_seats_and_quantities_do_not_mix(customer, typed, seat_ids):
    client = client_for(customer)
    both = api_hold(client, typed.pk, seats=seat_ids[:1], quantities={"adult": 1})
    assert both.status_code == 400


def test_a_code_scoped_to_a_type_discounts_only_those_tickets(
    organizer, customer, event, typed, seat_ids
):
    made = client_for(organizer).post(
        f"/api/v1/events/{event.pk}/promo-codes/",
        {"code": "KIDS", "kind": "percent", "amount": "50", "ticket_types": ["child"]},
        format="json",
    )
    assert made.status_code == 201, made.content
    assert made.json()["ticket_types"] == ["child"]
    hold = services.hold_create(
        user=customer,
        slot_id=typed.pk,
        seat_ids=seat_ids[:2],
        seat_types={seat_ids[1]: "child"},
        promo_code="kids",
    )
    assert (hold.discount, hold.total) == (Decimal("3.00"), Decimal("13.00"))
    adults_only = services.hold_create(user=customer, slot_id=typed.pk, seat_ids=seat_ids[2:3])
    with pytest.raises(errors.PromoInvalid):
        services.hold_create(
            user=customer, slot_id=typed.pk, seat_ids=seat_ids[2:3], promo_code="KIDS"
        )
    assert Hold.objects.get(pk=adults_only.pk)


def test_applying_a_code_on_the_site_keeps_each_seats_type(customer, typed, seat_ids):
    hold = services.hold_create(
        user=customer, slot_id=typed.pk, seat_ids=seat_ids[:2], seat_types={seat_ids[1]: "child"}
    )
    again = hold.held_again(seat_ids[:2])
    assert again == {"seat_ids": seat_ids[:2], "seat_types": {seat_ids[0]: "adult",
                                                             seat_ids[1]: "child"}}  # fmt: skip


def test_the_organizer_sets_the_events_types(organizer, other_organizer, customer, event):
    url = f"/api/v1/events/{event.pk}/ticket-types/"
    put = client_for(organizer).put(url, {"ticket_types": TYPES[:2]}, format="json")
    assert put.status_code == 200, put.content
    assert [t["code"] for t in put.json()["ticket_types"]] == ["adult", "child"]
    assert client_for(None).get(url).json() == put.json()
    first_priced = client_for(organizer).put(
        url, {"ticket_types": [{"code": "adult", "name": "A", "prices": {"standard": "1"}}]},
        format="json",
    )  # fmt: skip
    assert first_priced.status_code == 400
    assert first_priced.json()["error"]["code"] == "invalid_prices"
    twice = client_for(organizer).put(url, {"ticket_types": [TYPES[0], TYPES[0]]}, format="json")
    assert twice.status_code == 400
    assert (
        client_for(other_organizer).put(url, {"ticket_types": TYPES}, format="json").status_code
        == 404
    )
    assert client_for(customer).put(url, {"ticket_types": TYPES}, format="json").status_code == 403


@pytest.mark.parametrize(
    "types",
    [
        [{"code": "Adult!", "name": "Adult"}],
        [{"code": "adult", "name": ""}],
        [{"code": "adult", "name": "A" * 65}],
        [{"code": "adult", "name": "Adult"}, {"code": "child", "name": "C",
                                              "prices": {"standard": "1000000"}}],
        [{"code": "adult", "name": "Adult"}, {"code": "child", "name": "C",
                                              "prices": {"standard": "1.001"}}],
    ],
)  # fmt: skip
def test_the_service_refuses_bad_types(event, types):
    """The portal's form and the API check these too; the service is the last word."""
    with pytest.raises(InvalidPrices):
        scheduling.ticket_types_set(event=event, types=types)
