"""Promo codes applied to holds: percentages and amounts off, scope, window, uses that a
hold keeps until it expires or is released and a booking spends for good."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.bookings import errors, services
from apps.bookings.models import Booking, Hold, PromoUse
from apps.bookings.services.promo import promo_code_create
from tests.support.booking import pay
from tests.support.fixtures import client_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def code(event):
    return promo_code_create(event=event, code="demo10", kind="percent", amount=Decimal("10"))


def hold(user, slot, seats, code="DEMO10"):
    return services.hold_create(user=user, slot_id=slot.pk, seat_ids=seats, promo_code=code)


def test_a_code_takes_its_share_off_each_ticket(customer, code, reserved_slot, seat_ids):
    premium = reserved_slot.screen.seats.filter(category="premium").order_by("id")[0].pk
    held = hold(customer, reserved_slot, [seat_ids[0], premium], code="  demo10 ")
    assert (held.total, held.discount) == (Decimal("22.50"), Decimal("2.50"))
    booking = Booking.objects.get(pk=pay(customer, held.pk).body["id"])
    assert (booking.total, booking.discount, booking.promo_code_id) == (
        Decimal("22.50"),
        Decimal("2.50"),
        code.pk,
    )
    assert sorted(booking.tickets.values_list("price", flat=True)) == [
        Decimal("9.00"),
        Decimal("13.50"),
    ]
    use = PromoUse.objects.get()
    assert (use.booking_id, use.hold_ref, use.expires_at) == (booking.pk, None, None)
    # Cancelling a ticket refunds what was paid for it, the discount included.
    result = services.booking_tickets_cancel(booking_id=booking.pk, numbers=[1], user=customer)
    assert result.amount == Decimal("9.00")


def test_the_api_shows_the_breakdown(customer, code, reserved_slot, seat_ids):
    client = client_for(customer)
    body = client.post(
        "/api/v1/bookings/hold-seats/",
        {"slot": reserved_slot.pk, "seats": seat_ids[:2], "promo_code": "demo10"},
        format="json",
    ).json()
    assert (body["subtotal"], body["discount"], body["total"], body["promo_code"]) == (
        "20.00",
        "2.00",
        "18.00",
        "DEMO10",
    )
    confirm = client.post(
        "/api/v1/bookings/confirm/",
        {"hold": body["id"], "payment": {"method": "test", "token": "ok"}, "promo_code": "OTHER"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-promo",
    )
    assert confirm.status_code == 400 and confirm.json()["error"]["code"] == "promo_invalid"
    booked = client.post(
        "/api/v1/bookings/confirm/",
        {"hold": body["id"], "payment": {"method": "test", "token": "ok"}, "promo_code": "demo10"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k-promo-2",
    )
    assert booked.status_code == 201, booked.content
    assert (booked.json()["total"], booked.json()["discount"]) == ("18.00", "2.00")


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"valid_until": timezone.now() - timedelta(days=1)}, "window"),
        ({"valid_from": timezone.now() + timedelta(days=1)}, "window"),
        ({"categories": ["premium"]}, "categories"),
        ({"max_uses": 0}, "used_up"),
    ],
)
def test_a_code_out_of_bounds_is_refused(customer, event, reserved_slot, seat_ids, fields, reason):
    promo_code_create(event=event, code="NOPE", kind="fixed", amount=Decimal("5"), **fields)
    with pytest.raises(errors.PromoInvalid) as refused:
        hold(customer, reserved_slot, seat_ids[:1], code="nope")
    assert refused.value.details["reason"] == reason
    assert not Hold.objects.exists()  # nothing held


def test_unknown_codes_and_other_events_codes_are_refused(
    customer, organizer, movie, code, reserved_slot, seat_ids
):
    response = client_for(customer).post(
        "/api/v1/bookings/hold-seats/",
        {"slot": reserved_slot.pk, "seats": seat_ids[:1], "promo_code": "WHAT"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "promo_invalid"
    code.active = False
    code.save()
    with pytest.raises(errors.PromoInvalid):
        hold(customer, reserved_slot, seat_ids[:1])


def test_a_showtime_scope(customer, event, reserved_slot, later_slot, seat_ids):
    promo_code_create(
        event=event, code="LATER", kind="fixed", amount=Decimal("5"), slots=[later_slot]
    )
    with pytest.raises(errors.PromoInvalid):
        hold(customer, reserved_slot, seat_ids[:1], code="LATER")
    assert hold(customer, later_slot, seat_ids[:1], code="LATER").discount == Decimal("5.00")


def test_a_use_comes_back_when_its_hold_expires_or_is_released(
    customer, people, event, reserved_slot, seat_ids
):
    promo_code_create(event=event, code="ONCE", kind="fixed", amount=Decimal("1"), max_uses=1)
    other = people(1)[0]
    first = hold(customer, reserved_slot, seat_ids[:1], code="ONCE")
    with pytest.raises(errors.PromoInvalid):
        hold(other, reserved_slot, seat_ids[1:2], code="ONCE")
    Hold.objects.filter(pk=first.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    PromoUse.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    second = hold(other, reserved_slot, seat_ids[1:2], code="ONCE")  # the expired use is free
    services.hold_release(hold_id=second.pk, user=other)
    assert not PromoUse.objects.filter(hold_ref=second.pk).exists()
    third = hold(other, reserved_slot, seat_ids[1:2], code="ONCE")
    pay(other, third.pk)
    with pytest.raises(errors.PromoInvalid):  # spent for good
        hold(customer, reserved_slot, seat_ids[2:3], code="ONCE")


def test_holding_again_with_the_code_does_not_use_it_twice(
    customer, event, reserved_slot, seat_ids
):
    promo_code_create(
        event=event, code="MINE", kind="fixed", amount=Decimal("1"), max_uses_per_customer=1
    )
    hold(customer, reserved_slot, seat_ids[:1], code="MINE")
    hold(customer, reserved_slot, seat_ids[:2], code="MINE")  # replaces the first hold
    assert PromoUse.objects.count() == 1


def test_general_admission_with_a_code(customer, event, general_slot):
    promo_code_create(event=event, code="GA", kind="fixed", amount=Decimal("5"), per="ticket")
    held = services.hold_create(user=customer, slot_id=general_slot.pk, quantity=3, promo_code="ga")
    assert (held.total, held.discount) == (Decimal("60.00"), Decimal("15.00"))
    booking = Booking.objects.get(pk=pay(customer, held.pk).body["id"])
    assert set(booking.tickets.values_list("price", flat=True)) == {Decimal("20.00")}


def test_a_presale_code_opens_the_sale_early(customer, people, event, reserved_slot, seat_ids):
    from apps.scheduling.services import slot_update

    slot_update(slot=reserved_slot, sales_open_at=timezone.now() + timedelta(hours=2))
    promo_code_create(
        event=event, code="FANS", kind="fixed", amount=Decimal("0"), presale=True,
        categories=["standard"],
    )  # fmt: skip
    promo_code_create(event=event, code="CHEAP", kind="fixed", amount=Decimal("1"))
    with pytest.raises(errors.SlotNotOnSale):  # the public waits
        services.hold_create(user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:1])
    with pytest.raises(errors.SlotNotOnSale):  # a code that is no presale code opens nothing
        hold(customer, reserved_slot, seat_ids[:1], code="CHEAP")
    premium = reserved_slot.screen.seats.filter(category="premium").order_by("id")[0].pk
    with pytest.raises(errors.PromoInvalid):  # only the categories it is for
        hold(customer, reserved_slot, [premium], code="FANS")
    with pytest.raises(errors.SlotNotOnSale):  # not even beside seats it is for
        hold(customer, reserved_slot, [seat_ids[0], premium], code="FANS")
    held = hold(customer, reserved_slot, seat_ids[:2], code="fans")
    assert (held.presale, held.total, held.discount) == (True, Decimal("20.00"), Decimal("0.00"))
    booking = Booking.objects.get(pk=pay(customer, held.pk).body["id"])  # before the sale
    assert booking.status == "confirmed"
