"""Moving 50 bookings to another showtime while 30 buyers race for the same seats there.

Real threads against PostgreSQL: five organizer threads move ten bookings each (one
`booking_move` per booking, as the move job does) while thirty buyers hold and pay
seats of the target showtime, aiming at exactly the seats the moves want. Afterwards
the database says: no seat of the target is in two bookings, each booking is either
fully moved (every ticket on a seat of the target, claimed by it, new QR texts) or
untouched (its old seats, its old QR texts), the old QR texts of the moved bookings
are refused at the door, and both showtimes' books reconcile to the cent.
"""

import contextlib
import random
from collections import Counter
from datetime import timedelta

import pytest

from apps.bookings import ledger
from apps.bookings import services as bookings
from apps.bookings.models import Booking, BookingMove, SeatClaim, Ticket
from apps.bookings.tickets import qr_text
from apps.catalog import services as catalog
from apps.checkin import services as checkin
from apps.core.exceptions import ApplicationError
from tests.support.booking import book, pay
from tests.support.fixtures import grid
from tests.support.showtimes import showtime

from .conftest import race, race_users

pytestmark = pytest.mark.django_db(transaction=True)
BOOKINGS, BUYERS, MOVERS = 50, 30, 5


@pytest.fixture
def screen(venue):
    screen = catalog.screen_create(venue=venue, name="Big")
    rows = grid("ABCDEFGHIJ", 15, premium_rows="J")  # 150 seats, the last row premium
    return catalog.screen_layout_replace(screen=screen, rows=rows)


def test_moving_while_buyers_buy_the_same_seats(organizer, event, screen, reserved_slot, seat_ids):
    target = showtime(event, screen, starts_in=timedelta(days=8))
    customers = race_users("moved", BOOKINGS)
    originals = {}
    for i, customer in enumerate(customers):
        booking = book(customer, reserved_slot.pk, seat_ids=seat_ids[2 * i : 2 * i + 2])
        originals[booking.pk] = {
            "seats": sorted(seat_ids[2 * i : 2 * i + 2]),
            "qr": [qr_text(t) for t in booking.tickets.order_by("number")],
            "codes": sorted(booking.tickets.values_list("code", flat=True)),
        }
    wanted = seat_ids[: 2 * BOOKINGS + 20]  # the moves' seats and a few beside them
    buyers = race_users("buyer", BUYERS)
    ids = sorted(originals)

    def move_some(chunk):
        outcomes = []
        for booking_id in chunk:
            try:
                bookings.booking_move(booking_id=booking_id, to_slot_id=target.pk, by=organizer)
                outcomes.append("moved")
            except ApplicationError as exc:
                outcomes.append(exc.code)
        return outcomes

    def keep_buying(buyer, number):
        rng = random.Random(number)
        made = 0
        for _ in range(12):
            try:
                hold = bookings.hold_create(
                    user=buyer, slot_id=target.pk, seat_ids=rng.sample(wanted, 2)
                )
            except ApplicationError:
                continue  # taken by a move or another buyer
            with contextlib.suppress(ApplicationError):
                pay(buyer, hold.pk)
                made += 1
        return made

    jobs = [(move_some, ids[i::MOVERS]) for i in range(MOVERS)]
    jobs += [(keep_buying, buyer, n) for n, buyer in enumerate(buyers)]
    results = race(lambda f, *args: f(*args), jobs, workers=len(jobs))
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    outcomes = Counter(o for r in results[:MOVERS] for o in r)
    bought = sum(results[MOVERS:])
    assert bought > 0, "the buyers never got a seat: the race did not happen"
    assert outcomes["moved"] > 0
    assert set(outcomes) <= {"moved", "move_no_seats"}, outcomes

    # No seat of the target in two live tickets; every live ticket on a claim of its own.
    live = Ticket.objects.filter(
        booking__slot=target, booking__status="confirmed", status="valid"
    ).values_list("seat_id", "booking_id")
    per_seat = Counter(seat for seat, _ in live)
    assert max(per_seat.values()) == 1
    claims = dict(
        SeatClaim.objects.filter(slot=target, booking__isnull=False).values_list(
            "seat_id", "booking_id"
        )
    )
    assert dict(live) == claims
    assert len(claims) <= len(seat_ids)

    moved = 0
    for booking_id, before in originals.items():
        booking = Booking.objects.get(pk=booking_id)
        tickets = list(booking.tickets.order_by("number"))
        mine = sorted(SeatClaim.objects.filter(booking=booking).values_list("slot_id", "seat_id"))
        if booking.slot_id == target.pk:  # fully moved
            moved += 1
            assert BookingMove.objects.filter(booking=booking).count() == 1
            assert mine == sorted((target.pk, t.seat_id) for t in tickets)
            assert not set(before["codes"]) & {t.code for t in tickets}
            for text in before["qr"]:
                outcome = checkin.ticket_scan(staff=organizer, slot=target, code=text, gate="g")
                assert outcome.result == "invalid_ticket"
        else:  # untouched
            assert booking.slot_id == reserved_slot.pk
            assert not BookingMove.objects.filter(booking=booking).exists()
            assert mine == [(reserved_slot.pk, seat) for seat in before["seats"]]
            assert sorted(t.code for t in tickets) == before["codes"]
    assert moved == outcomes["moved"]

    for slot in (reserved_slot, target):
        books = ledger.slot_ledger(slot.pk)
        assert books.reconciles, (slot.pk, books)
