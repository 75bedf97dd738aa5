"""Moving a booking to another showtime of the same event: the same seats where they
can be, else the best of each category together; new tickets; the money follows the
booking and a cheaper showtime's difference is refunded or kept; all or nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail

from apps.bookings import errors, ledger, services
from apps.bookings.models import (
    Booking,
    BookingMove,
    GeneralInventory,
    PartialRefund,
    Payment,
    SeatClaim,
    TestProviderCharge,
    Ticket,
)
from apps.bookings.tickets import qr_matches, qr_text, ticket_id_from_qr
from apps.scheduling.models import SlotStatus
from apps.scheduling.services import slot_update
from tests.support.booking import book
from tests.support.fixtures import client_for
from tests.support.showtimes import showtime

pytestmark = pytest.mark.django_db(transaction=True)


def seats_of(booking) -> list[int]:
    return sorted(booking.claims.values_list("seat_id", flat=True))


def test_same_screen_keeps_the_same_seats(customer, organizer, reserved_slot, later_slot, seat_ids):
    booking = book(customer, reserved_slot.pk, seat_ids=seat_ids[:2])
    old_codes = [qr_text(t) for t in booking.tickets.order_by("number")]
    result = services.booking_move(booking_id=booking.pk, to_slot_id=later_slot.pk, by=organizer)

    booking.refresh_from_db()
    assert booking.slot_id == later_slot.pk and result.move.same_seats
    assert SeatClaim.objects.filter(slot=later_slot, booking=booking).count() == 2
    assert not SeatClaim.objects.filter(slot=reserved_slot).exists()  # free again
    assert sorted(booking.tickets.values_list("seat_id", flat=True)) == seat_ids[:2]

    # New QR texts: the old ones no longer prove any ticket (the door refuses them:
    # tests/concurrency/test_move_races.py scans them), the new ones do.
    for text in old_codes:
        ticket_id, mac = ticket_id_from_qr(text)
        assert not qr_matches(Ticket.objects.get(pk=ticket_id), mac)
    for ticket in booking.tickets.all():
        assert qr_matches(ticket, ticket_id_from_qr(qr_text(ticket))[1])
    # The customer is told, with the new tickets attached.
    moved = [m for m in mail.outbox if "has moved" in m.subject]
    assert len(moved) == 1 and moved[0].to == [customer.email]
    assert sorted(name.rsplit(".", 1)[1] for name, *_ in moved[0].attachments) == ["ics", "pdf"]
    new_codes = [qr_text(t) for t in booking.tickets.order_by("number")]
    assert all(code in moved[0].body for code in new_codes)


def test_taken_seats_give_the_best_of_the_category_together(
    customer, organizer, people, reserved_slot, later_slot, seat_ids
):
    booking = book(customer, reserved_slot.pk, seat_ids=seat_ids[:2])  # A1, A2
    rival = people(1, prefix="rival")[0]
    book(rival, later_slot.pk, seat_ids=seat_ids[:1])  # A1 sold on the later_slot show
    result = services.booking_move(booking_id=booking.pk, to_slot_id=later_slot.pk, by=organizer)

    assert not result.move.same_seats
    new = seats_of(booking)
    assert len(new) == 2 and seat_ids[0] not in new
    seats = {s.pk: s for s in later_slot.screen.seats.filter(pk__in=new)}
    assert {s.category for s in seats.values()} == {"standard"}
    rows = {s.y for s in seats.values()}
    xs = sorted(s.x for s in seats.values())
    assert len(rows) == 1 and xs[1] == xs[0] + 1  # together


def test_no_room_leaves_the_booking_as_it_was(
    customer, organizer, people, reserved_slot, later_slot
):
    premium = list(
        reserved_slot.screen.seats.filter(category="premium")
        .order_by("id")
        .values_list("pk", flat=True)
    )
    booking = book(customer, reserved_slot.pk, seat_ids=premium[:2])
    before = (seats_of(booking), list(booking.tickets.values_list("code", flat=True)))
    book(people(1, prefix="rival")[0], later_slot.pk, seat_ids=premium[1:5])  # 1 premium left
    with pytest.raises(errors.MoveNoSeats):
        services.booking_move(booking_id=booking.pk, to_slot_id=later_slot.pk, by=organizer)
    booking.refresh_from_db()
    assert booking.slot_id == reserved_slot.pk
    assert (seats_of(booking), list(booking.tickets.values_list("code", flat=True))) == before
    assert not BookingMove.objects.exists()
    assert SeatClaim.objects.filter(slot=later_slot).count() == 4


def test_a_cheaper_showtime_refunds_the_difference(
    customer, organizer, event, screen, reserved_slot, seat_ids
):
    cheaper = showtime(
        event,
        screen,
        starts_in=timedelta(days=9),
        prices={"standard": "7.50", "premium": "15.00"},
    )
    booking = book(customer, reserved_slot.pk, seat_ids=seat_ids[:2])
    result = services.booking_move(booking_id=booking.pk, to_slot_id=cheaper.pk, by=organizer)
    booking.refresh_from_db()
    assert result.move.difference == result.move.refunded == Decimal("5.00")
    assert booking.total == Decimal("15.00")
    assert PartialRefund.objects.get().status == "refunded"
    payment = Payment.objects.get(booking=booking)
    assert payment.slot_id == cheaper.pk
    assert TestProviderCharge.objects.get(ref=payment.provider_ref).refunded_amount == Decimal(
        "5.00"
    )
    old, new = ledger.slot_ledger(reserved_slot.pk), ledger.slot_ledger(cheaper.pk)
    assert (old.charged, old.moved_out, old.net, old.booked) == (
        Decimal("20.00"),
        Decimal("20.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    )
    assert (new.moved_in, new.refunded, new.net, new.booked) == (
        Decimal("20.00"),
        Decimal("5.00"),
        Decimal("15.00"),
        Decimal("15.00"),
    )
    assert old.reconciles and new.reconciles
    # Cancelling it afterwards refunds what is left, in the new showtime's books.
    services.booking_cancel(booking_id=booking.pk, user=customer)
    assert TestProviderCharge.objects.get(ref=payment.provider_ref).refunded_amount == Decimal(
        "20.00"
    )
    new = ledger.slot_ledger(cheaper.pk)
    assert new.net == Decimal("0.00") and new.reconciles


def test_keeping_the_price_or_a_dearer_showtime_moves_no_money(
    customer, organizer, event, screen, reserved_slot, seat_ids
):
    cheaper = showtime(
        event, screen, starts_in=timedelta(days=9), prices={"standard": "5.00", "premium": "9.00"}
    )
    dearer = showtime(
        event,
        screen,
        starts_in=timedelta(days=10),
        prices={"standard": "50.00", "premium": "60.00"},
    )
    booking = book(customer, reserved_slot.pk, seat_ids=seat_ids[:2])
    kept = services.booking_move(
        booking_id=booking.pk, to_slot_id=cheaper.pk, by=organizer, refund_difference=False
    )
    assert (kept.move.difference, kept.move.refunded) == (Decimal("10.00"), Decimal("0.00"))
    services.booking_move(booking_id=booking.pk, to_slot_id=dearer.pk, by=organizer)
    booking.refresh_from_db()
    assert booking.total == Decimal("20.00")
    assert not PartialRefund.objects.exists()
    for slot in (reserved_slot, cheaper, dearer):
        assert ledger.slot_ledger(slot.pk).reconciles


def test_general_admission_moves_places(customer, organizer, people, event, screen, general_slot):
    other = showtime(
        event,
        screen,
        starts_in=timedelta(days=12),
        seating="general",
        capacity=5,
        prices={"general": "25.00"},
    )
    booking = book(customer, general_slot.pk, quantity=3)
    before = GeneralInventory.objects.get(slot=general_slot).available
    services.booking_move(booking_id=booking.pk, to_slot_id=other.pk, by=organizer)
    assert GeneralInventory.objects.get(slot=general_slot).available == before + 3
    assert GeneralInventory.objects.get(slot=other).available == 2
    second = book(people(1)[0], general_slot.pk, quantity=3)  # 3 more than `other` has left
    with pytest.raises(errors.MoveNoSeats):
        services.booking_move(booking_id=second.pk, to_slot_id=other.pk, by=organizer)
    assert Booking.objects.get(pk=second.pk).slot_id == general_slot.pk


@pytest.mark.parametrize("case", ["other_event", "cancelled", "general", "same", "started"])
def test_moves_that_make_no_sense_are_refused(
    case, customer, organizer, movie, screen, reserved_slot, later_slot, seat_ids
):
    from apps.catalog import services as catalog
    from apps.scheduling.models import Slot

    booking = book(customer, reserved_slot.pk, seat_ids=seat_ids[:1])
    target = later_slot
    if case == "other_event":
        other = catalog.event_create(
            organizer=organizer, type="movie", title="Other", city="Lisbon", movie=movie
        )
        target = showtime(other, screen, starts_in=timedelta(days=11))
    elif case == "cancelled":
        slot_update(slot=later_slot, status=SlotStatus.CANCELLED)
    elif case == "general":
        target = showtime(
            reserved_slot.event,
            screen,
            starts_in=timedelta(days=11),
            seating="general",
            capacity=5,
            prices={"general": "5.00"},
        )
    elif case == "same":
        target = reserved_slot
    elif case == "started":
        Slot.objects.filter(pk=later_slot.pk).update(
            starts_at=later_slot.starts_at - timedelta(days=30),
            ends_at=later_slot.ends_at - timedelta(days=30),
        )
    with pytest.raises(errors.MoveNotPossible):
        services.booking_move(booking_id=booking.pk, to_slot_id=target.pk, by=organizer)
    assert Booking.objects.get(pk=booking.pk).slot_id == reserved_slot.pk


def test_a_used_ticket_keeps_the_booking_where_it_is(
    customer, organizer, reserved_slot, later_slot, seat_ids
):
    booking = book(customer, reserved_slot.pk, seat_ids=seat_ids[:2])
    booking.tickets.filter(number=2).update(status="used")
    with pytest.raises(errors.TicketUsed):
        services.booking_move(booking_id=booking.pk, to_slot_id=later_slot.pk, by=organizer)


def test_the_api_moves_one_booking(customer, organizer, reserved_slot, later_slot, seat_ids):
    booking = book(customer, reserved_slot.pk, seat_ids=seat_ids[:2])
    url = f"/api/v1/slots/{reserved_slot.pk}/bookings/{booking.pk}/move/"
    response = client_for(organizer).post(url, {"slot": later_slot.pk}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["to_slot"] == later_slot.pk and body["same_seats"] is True
    assert body["booking"]["slot"] == later_slot.pk
    assert body["seats"] == {str(pk): pk for pk in seat_ids[:2]}
    # Asking again from the old showtime: the booking is not there any more.
    again = client_for(organizer).post(url, {"slot": later_slot.pk}, format="json")
    assert again.status_code == 404


def test_another_organizer_cannot_move(rival_client, customer, reserved_slot, later_slot, seat_ids):
    booking = book(customer, reserved_slot.pk, seat_ids=seat_ids[:1])
    url = f"/api/v1/slots/{reserved_slot.pk}/bookings/{booking.pk}/move/"
    assert rival_client.post(url, {"slot": later_slot.pk}, format="json").status_code == 404


def test_a_target_of_another_organizer_is_refused(
    customer, organizer, reserved_slot, seat_ids, other_organizer
):
    booking = book(customer, reserved_slot.pk, seat_ids=seat_ids[:1])
    url = f"/api/v1/slots/{reserved_slot.pk}/bookings/{booking.pk}/move/"
    response = client_for(organizer).post(url, {"slot": 999999}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "move_target_not_found"


def test_fees_are_no_price_difference(
    customer, organizer, event, reserved_slot, later_slot, seat_ids
):
    from apps.catalog.services import event_update

    event_update(event=event, booking_fee_per_ticket=Decimal("1.50"))
    booking = book(customer, reserved_slot.pk, seat_ids=seat_ids[:2])
    assert booking.total == Decimal("23.00")
    result = services.booking_move(booking_id=booking.pk, to_slot_id=later_slot.pk, by=organizer)
    assert (result.move.difference, result.refund) == (Decimal("0.00"), None)
    booking.refresh_from_db()
    assert booking.total == Decimal("23.00")
