import random
import threading
import time
from datetime import timedelta

import pytest
from django.db import connections, transaction
from django.db.models import Sum
from django.utils import timezone

from apps.bookings import errors, services
from apps.bookings.models import Booking, GeneralInventory, Hold, SeatClaim, Ticket
from tests.support.booking import book, pay

from .conftest import race, race_users

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def buyers():
    return lambda n: race_users("buyer", n)


def buy(user, slot_id, **kwargs) -> int:
    return book(user, slot_id, **kwargs).pk


def assert_no_seat_sold_twice(reserved_slot):
    seats = list(
        Ticket.objects.filter(booking__slot=reserved_slot, booking__status="confirmed").values_list(
            "seat_id", flat=True
        )
    )
    assert len(seats) == len(set(seats))
    booked_claims = set(
        SeatClaim.objects.filter(slot=reserved_slot, booking__isnull=False).values_list(
            "seat_id", flat=True
        )
    )
    assert booked_claims == set(seats)


def test_50_buyers_for_the_same_2_seats_make_exactly_one_booking(reserved_slot, buyers):
    seat_ids = list(reserved_slot.screen.seats.values_list("id", flat=True)[:2])
    users = buyers(50)
    results = race(lambda u: buy(u, reserved_slot.pk, seat_ids=seat_ids), [(u,) for u in users])
    wins = [r for r in results if isinstance(r, int)]
    losses = [r for r in results if not isinstance(r, int)]
    assert len(wins) == 1, sorted({repr(r)[:300] for r in results})
    assert all(isinstance(r, errors.SeatUnavailable) for r in losses), losses[:3]
    assert Booking.objects.filter(slot=reserved_slot).count() == 1
    assert_no_seat_sold_twice(reserved_slot)


def test_100_buyers_of_random_overlapping_pairs_never_share_a_seat(reserved_slot, buyers):
    seat_ids = list(reserved_slot.screen.seats.values_list("id", flat=True))
    assert len(seat_ids) == 20
    rng = random.Random(7)
    users = buyers(100)
    pairs = [rng.sample(seat_ids, 2) for _ in users]
    results = race(
        lambda u, p: buy(u, reserved_slot.pk, seat_ids=p), list(zip(users, pairs, strict=True))
    )
    unexpected = [r for r in results if not isinstance(r, int | errors.SeatUnavailable)]
    assert not unexpected, unexpected[:3]
    assert_no_seat_sold_twice(reserved_slot)
    sold = Ticket.objects.filter(booking__slot=reserved_slot).count()
    assert sold == 2 * Booking.objects.filter(slot=reserved_slot).count()
    assert sold <= 20


def test_general_admission_never_sells_more_than_capacity(general_slot, buyers):
    users = buyers(100)
    rng = random.Random(11)
    wanted = [rng.randint(1, 3) for _ in users]
    results = race(
        lambda u, q: buy(u, general_slot.pk, quantity=q), list(zip(users, wanted, strict=True))
    )
    unexpected = [r for r in results if not isinstance(r, int | errors.SeatUnavailable)]
    assert not unexpected, unexpected[:3]
    sold = Booking.objects.filter(slot=general_slot).aggregate(n=Sum("quantity"))["n"] or 0
    assert sold <= 30
    assert Ticket.objects.filter(booking__slot=general_slot).count() == sold
    held = Hold.objects.filter(slot=general_slot).aggregate(n=Sum("quantity"))["n"] or 0
    assert GeneralInventory.objects.get(slot=general_slot).available + sold + held == 30
    assert sold >= 28  # demand (about 200) far exceeds supply: the house sells out


def test_double_confirm_with_one_key_books_once(reserved_slot, buyers):
    user = buyers(1)[0]
    seat_ids = list(reserved_slot.screen.seats.values_list("id", flat=True)[:2])
    hold = services.hold_create(user=user, slot_id=reserved_slot.pk, seat_ids=seat_ids)

    def confirm():
        return pay(user, hold.pk, key="same")

    results = race(confirm, [()] * 8, workers=8)
    booked = [r for r in results if isinstance(r, services.Outcome)]
    assert booked, results
    assert {r.body["id"] for r in booked} == {Booking.objects.get().pk}
    assert all(isinstance(r, errors.RequestInProgress) for r in results if r not in booked)
    assert Booking.objects.count() == 1


def test_confirm_racing_expiry_is_booked_or_expired_never_both(reserved_slot, buyers):
    users = buyers(10)
    seat_ids = list(reserved_slot.screen.seats.values_list("id", flat=True))
    for user, seat_id in zip(users, seat_ids, strict=False):
        hold = services.hold_create(user=user, slot_id=reserved_slot.pk, seat_ids=[seat_id])
        # Expires right about now: the sweeper and the buyer race for it.
        Hold.objects.filter(pk=hold.pk).update(
            expires_at=timezone.now() + timedelta(milliseconds=30)
        )
        SeatClaim.objects.filter(hold=hold).update(
            expires_at=timezone.now() + timedelta(milliseconds=30)
        )

        def confirm(user=user, hold=hold):
            time.sleep(0.03)
            return pay(user, hold.pk)

        def sweep():
            time.sleep(0.03)
            return services.holds_expire()

        outcome, _ = race(lambda f: f(), [(confirm,), (sweep,)], workers=2)
        booked = Booking.objects.filter(user=user).exists()
        claim = SeatClaim.objects.filter(slot=reserved_slot, seat_id=seat_id).first()
        if booked:
            assert isinstance(outcome, services.Outcome)
            assert claim is not None and claim.booking_id is not None
        else:
            assert isinstance(outcome, errors.HoldExpired | errors.HoldNotFound), outcome
            assert claim is None or claim.expires_at <= timezone.now()
    assert_no_seat_sold_twice(reserved_slot)


def test_holds_of_disjoint_seats_do_not_wait_for_each_other(reserved_slot, buyers):
    first, second, third = buyers(3)
    seat_a, seat_b = reserved_slot.screen.seats.values_list("id", flat=True)[:2]
    holding = threading.Event()
    release = threading.Event()
    outcome = {}

    def slow_holder():
        try:
            with transaction.atomic():
                services.holds._hold_create_locked(
                    user=first,
                    slot_id=reserved_slot.pk,
                    seat_ids=[seat_a],
                    quantity=None,
                    kind="purchase",
                    lifetime_seconds=None,
                )
                holding.set()
                release.wait(timeout=20)
        finally:
            connections.close_all()

    def other_buyer(user, seat_id, key):
        started = time.monotonic()
        try:
            services.hold_create(user=user, slot_id=reserved_slot.pk, seat_ids=[seat_id])
            outcome[key] = ("held", time.monotonic() - started)
        except Exception as exc:
            outcome[key] = (exc, time.monotonic() - started)
        finally:
            connections.close_all()

    holder = threading.Thread(target=slow_holder)
    holder.start()
    assert holding.wait(timeout=20)
    disjoint = threading.Thread(target=other_buyer, args=(second, seat_b, "disjoint"))
    disjoint.start()
    disjoint.join(timeout=10)
    # The other buyer finished while the first transaction is still open.
    assert not disjoint.is_alive() and outcome["disjoint"][0] == "held"

    same = threading.Thread(target=other_buyer, args=(third, seat_a, "same"))
    same.start()
    same.join(timeout=1)
    assert same.is_alive(), "a buyer of the same seat must wait for the first transaction"
    release.set()
    holder.join(timeout=20)
    same.join(timeout=20)
    assert isinstance(outcome["same"][0], errors.SeatUnavailable)


def test_a_double_click_on_hold_is_a_409_never_a_500(reserved_slot, buyers):
    user = buyers(1)[0]
    seat_ids = list(reserved_slot.screen.seats.values_list("id", flat=True))

    def hold(seats):
        return services.hold_create(user=user, slot_id=reserved_slot.pk, seat_ids=seats)

    for attempt in range(5):
        pairs = [
            seat_ids[4 * attempt : 4 * attempt + 2],
            seat_ids[4 * attempt + 2 : 4 * attempt + 4],
        ]
        results = race(hold, [(p,) for p in pairs], workers=2)
        unexpected = [r for r in results if not isinstance(r, Hold | errors.HoldInProgress)]
        assert not unexpected, unexpected
        assert Hold.objects.filter(user=user, slot=reserved_slot).count() == 1
