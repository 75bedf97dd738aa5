"""One customer holding from three devices at once against a cap of 4 tickets per event.

Three threads, one per device, each hold two seats on a showtime of its own (all of one
event) and pay, again and again, while a fourth thread keeps reading what the customer
holds and has booked. The cap is checked under an advisory lock per (event, customer),
so the second device counts what the first committed: no reading, and not the end
state, ever shows more than 4."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.models import Sum
from django.utils import timezone

from apps.bookings import services as bookings
from apps.bookings.models import Booking, Hold
from apps.catalog.services import event_update
from apps.core.exceptions import ApplicationError
from tests.support.booking import pay
from tests.support.showtimes import showtime

from .conftest import race

pytestmark = pytest.mark.django_db(transaction=True)
CAP, DEVICES, ROUNDS = 4, 3, 8


def held_and_booked(user, event) -> int:
    """What the customer holds and has booked, read in one snapshot (REPEATABLE READ), so a
    hold becoming a booking between the two reads is not counted twice."""
    with transaction.atomic():
        connection.cursor().execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        return _count(user, event)


def _count(user, event) -> int:
    held = Hold.objects.filter(
        user=user, slot__event=event, expires_at__gt=timezone.now()
    ).aggregate(n=Sum("quantity"))["n"]
    booked = Booking.objects.filter(user=user, slot__event=event, status="confirmed").aggregate(
        n=Sum("quantity")
    )["n"]
    return (held or 0) + (booked or 0)


def test_three_devices_never_pass_the_cap(customer, event, screen, seat_ids):
    event = event_update(event=event, max_tickets_per_customer=CAP)
    slots = [showtime(event, screen, starts_in=timedelta(days=3 + i)) for i in range(DEVICES)]
    stop = threading.Event()
    seen = []

    def device(number):
        slot = slots[number]
        outcomes = []
        for attempt in range(ROUNDS):
            seats = seat_ids[2 * attempt : 2 * attempt + 2]
            try:
                hold = bookings.hold_create(user=customer, slot_id=slot.pk, seat_ids=seats)
            except ApplicationError as exc:
                outcomes.append(exc.code)
                continue
            outcomes.append("held")
            if attempt % 2:  # every other hold is paid for
                pay(customer, hold.pk)
                outcomes.append("booked")
        return outcomes

    def watch():
        try:
            while not stop.is_set():
                seen.append(held_and_booked(customer, event))
                time.sleep(0.005)
        finally:
            connection.close()

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        results = race(device, [(n,) for n in range(DEVICES)], workers=DEVICES)
    finally:
        stop.set()
        watcher.join()
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    outcomes = [o for r in results for o in r]
    assert "limit_exceeded" in outcomes, outcomes  # the devices did collide with the cap
    assert outcomes.count("held") >= 2
    assert seen and max(seen) <= CAP, max(seen)
    assert held_and_booked(customer, event) <= CAP
