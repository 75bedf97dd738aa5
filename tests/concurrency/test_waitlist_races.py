"""Waitlist promotion under real concurrency (PostgreSQL, real threads)."""

import random
from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone

from apps.bookings import errors, events, services
from apps.bookings.models import Booking, GeneralInventory, Hold, SeatClaim
from apps.waitlist import receivers
from apps.waitlist.models import WaitlistEntry
from apps.waitlist.services import waitlist_promote
from tests.support.booking import book
from tests.support.showtimes import showtime

from .conftest import race, race_users

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def quiet_waitlist():
    """Free seats without promoting at once, so the test starts the promotions itself."""
    events.seats_freed.disconnect(receivers.promote_on_seats_freed)
    yield
    events.seats_freed.connect(receivers.promote_on_seats_freed)


def queue(slot, people, quantities) -> list[WaitlistEntry]:
    now = timezone.now()
    return WaitlistEntry.objects.bulk_create(
        [
            WaitlistEntry(user=u, slot=slot, quantity=q, created_at=now + timedelta(seconds=i))
            for i, (u, q) in enumerate(zip(people, quantities, strict=True))
        ]
    )


@pytest.fixture
def slot(reserved_slot):
    """The showtime of the races: 20 reserved seats, sold out by `sold_out`."""
    return reserved_slot


def test_concurrent_promotions_promote_each_entry_once(slot, sold_out, quiet_waitlist):
    from apps.waitlist.models import WaitlistQueue

    WaitlistQueue.objects.create(slot=slot)
    entries = queue(slot, race_users("fan", 12), [1] * 12)
    for booking in sold_out[:2]:
        services.booking_cancel(booking_id=booking.pk)  # 10 seats free, nobody promoted yet

    results = race(lambda slot_id: waitlist_promote(slot_id=slot_id), [(slot.pk,)] * 16)
    assert not [r for r in results if isinstance(r, Exception)], results
    promoted = [entry_id for r in results for entry_id in r]
    assert len(promoted) == len(set(promoted)) == 10  # nobody twice, every free seat offered
    assert promoted and set(promoted) == {e.pk for e in entries[:10]}  # FIFO: the first ten
    offers = Hold.objects.filter(slot=slot, kind=Hold.Kind.OFFER)
    assert offers.count() == 10
    assert set(offers.values_list("user_id", flat=True)) == {e.user_id for e in entries[:10]}
    assert SeatClaim.objects.filter(slot=slot).count() == 20
    assert WaitlistEntry.objects.filter(status="waiting").count() == 2


def test_promotion_racing_live_buyers_never_oversells(slot, sold_out, quiet_waitlist):
    from apps.waitlist.models import WaitlistQueue

    WaitlistQueue.objects.create(slot=slot)
    queue(slot, race_users("fan", 15), [1, 2, 1, 1, 3, 1, 2, 1, 1, 1, 1, 2, 1, 1, 1])
    for booking in sold_out[1:3]:
        services.booking_cancel(booking_id=booking.pk)
    freed = set(
        slot.screen.seats.exclude(claims__slot=slot).values_list("id", flat=True)
    )  # rows B and C
    assert len(freed) == 10
    buyers = race_users("buyer", 20)
    rng = random.Random(5)
    wanted = [rng.sample(sorted(freed), rng.randint(1, 2)) for _ in buyers]

    def act(kind, *args):
        if kind == "promote":
            return waitlist_promote(slot_id=args[0])
        return book(*args[:2], seat_ids=args[2])

    jobs = [("promote", slot.pk)] * 8 + [
        ("buy", b, slot.pk, w) for b, w in zip(buyers, wanted, strict=True)
    ]
    rng.shuffle(jobs)
    results = race(act, jobs, workers=28)
    unexpected = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(r, errors.SeatUnavailable) for r in unexpected), unexpected[:3]

    waitlist_promote(slot_id=slot.pk)  # what the next trigger or the periodic pass would do
    claims = list(SeatClaim.objects.filter(slot=slot).values_list("seat_id", flat=True))
    assert len(claims) == len(set(claims))  # no seat twice (the unique index holds)
    bought = set(
        SeatClaim.objects.filter(slot=slot, seat_id__in=freed, booking__isnull=False).values_list(
            "seat_id", flat=True
        )
    )
    offered = set(
        SeatClaim.objects.filter(slot=slot, hold__kind=Hold.Kind.OFFER).values_list(
            "seat_id", flat=True
        )
    )
    assert not bought & offered
    assert bought | offered <= freed
    offered_places = (
        WaitlistEntry.objects.filter(status="offered").aggregate(n=Sum("quantity"))["n"] or 0
    )
    assert offered_places == len(offered)  # each offer holds exactly its entry's places
    assert (
        Hold.objects.filter(kind=Hold.Kind.OFFER).count()
        == WaitlistEntry.objects.filter(status="offered").count()
    )
    # Whatever buyers left free went to the line, unless no waiting entry fits the rest.
    left = len(freed) - len(bought) - len(offered)
    waiting = WaitlistEntry.objects.filter(status="waiting").order_by("created_at", "id")
    assert left == 0 or all(e.quantity > left for e in waiting[:1])


def test_general_admission_promotion_racing_buyers_never_oversells(event, screen, quiet_waitlist):
    ga = showtime(
        event,
        screen,
        starts_in=timedelta(days=3),
        seating="general",
        capacity=20,
        prices={"general": "20.00"},
    )
    owners = race_users("owner", 10)
    bookings = [book(o, ga.pk, quantity=2).pk for o in owners]
    from apps.waitlist.models import WaitlistQueue

    WaitlistQueue.objects.create(slot=ga)
    queue(ga, race_users("fan", 10), [1, 2] * 5)
    for booking_id in bookings[:4]:
        services.booking_cancel(booking_id=booking_id)  # 8 places free
    buyers = race_users("buyer", 12)
    jobs = [("promote", None)] * 6 + [("buy", b) for b in buyers]

    def act(kind, who):
        if kind == "promote":
            return waitlist_promote(slot_id=ga.pk)
        return book(who, ga.pk, quantity=1)

    results = race(act, jobs, workers=18)
    unexpected = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(r, errors.SeatUnavailable) for r in unexpected), unexpected[:3]
    sold = (
        Booking.objects.filter(slot=ga, status="confirmed").aggregate(n=Sum("quantity"))["n"] or 0
    )
    held = Hold.objects.filter(slot=ga).aggregate(n=Sum("quantity"))["n"] or 0
    available = GeneralInventory.objects.get(slot=ga).available
    assert available >= 0
    assert available + sold + held == 20
    offered = WaitlistEntry.objects.filter(status="offered").aggregate(n=Sum("quantity"))["n"]
    assert (
        offered
        == Hold.objects.filter(slot=ga, kind=Hold.Kind.OFFER).aggregate(n=Sum("quantity"))["n"]
    )
