"""Cancelling two showtimes (reserved and general admission, 200 confirmed bookings in
all) while 20 buyers keep trying to hold and pay on them.

Real threads against PostgreSQL, the job run by (eager) Celery from the thread that
cancels. Afterwards the database says: every booking cancelled, every payment refunded
exactly once at the provider, every customer told once, no hold made after the cancel
began, the waitlists closed; and running the jobs again changes nothing.
"""

import contextlib
from collections import Counter

import pytest
from django.core import mail

from apps.bookings import ledger
from apps.bookings import services as bookings
from apps.bookings.models import (
    Booking,
    Hold,
    LedgerEntry,
    Payment,
    TestProviderCharge,
    Ticket,
)
from apps.catalog import services as catalog
from apps.core.exceptions import ApplicationError
from apps.operations import services as operations
from apps.operations.models import Job
from tests.support.booking import book, pay
from tests.support.fixtures import grid

from .conftest import race, race_users

pytestmark = pytest.mark.django_db(transaction=True)
RESERVED_BOOKINGS, GENERAL_BOOKINGS, BUYERS = 120, 80, 20


@pytest.fixture
def screen(venue):
    screen = catalog.screen_create(venue=venue, name="Big")
    rows = grid("ABCDEFGHIJ", 15, premium_rows="J")  # 150 seats
    return catalog.screen_layout_replace(screen=screen, rows=rows)


@pytest.fixture
def general_capacity() -> int:
    return 100


def test_cancelling_while_buyers_buy(organizer, reserved_slot, general_slot, seat_ids):
    customers = race_users("fan", RESERVED_BOOKINGS + GENERAL_BOOKINGS)
    for customer, seat in zip(customers[:RESERVED_BOOKINGS], seat_ids, strict=False):
        book(customer, reserved_slot.pk, seat_ids=[seat])
    for customer in customers[RESERVED_BOOKINGS:]:
        book(customer, general_slot.pk, quantity=1)
    free_seats = seat_ids[RESERVED_BOOKINGS:]
    buyers = race_users("late", BUYERS)
    mail.outbox.clear()

    def keep_buying(buyer, number):
        """Hold and pay again and again until the sale is refused."""
        slot = reserved_slot if number % 2 else general_slot
        made = 0
        for attempt in range(40):
            try:
                if slot is reserved_slot:
                    seat = free_seats[(number * 40 + attempt) % len(free_seats)]
                    hold = bookings.hold_create(user=buyer, slot_id=slot.pk, seat_ids=[seat])
                else:
                    hold = bookings.hold_create(user=buyer, slot_id=slot.pk, quantity=1)
            except ApplicationError:
                continue  # taken, or the sale is over
            made += 1
            # 201, or refused once the showtime is cancelled (an answer or an error).
            with contextlib.suppress(ApplicationError):
                pay(buyer, hold.pk)
        return made

    def cancel(slot):
        return operations.slot_cancel(slot=slot, reason="Power cut", by=organizer).pk

    jobs = [(keep_buying, (buyer, n)) for n, buyer in enumerate(buyers)]
    jobs += [(cancel, (reserved_slot,)), (cancel, (general_slot,))]
    results = race(lambda func, args: func(*args), jobs, workers=len(jobs))
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors

    jobs = {job.slot_id: job for job in Job.objects.all()}
    assert {job.status for job in jobs.values()} == {"done"}
    slots = (reserved_slot.pk, general_slot.pk)
    assert not Booking.objects.filter(slot_id__in=slots, status="confirmed").exists()
    assert not Ticket.objects.filter(booking__slot_id__in=slots).exclude(status="cancelled")
    cancelled = Booking.objects.filter(slot_id__in=slots)
    assert cancelled.count() >= RESERVED_BOOKINGS + GENERAL_BOOKINGS
    # Every payment of a cancelled booking refunded, each exactly once at the provider.
    paid = Payment.objects.filter(booking__in=cancelled)
    assert set(paid.values_list("status", flat=True)) == {"refunded"}
    refunds = TestProviderCharge.objects.filter(ref__in=paid.values("provider_ref"))
    assert set(refunds.values_list("refunds", flat=True)) == {1}
    # The money ledger agrees: one charge and one refund row per payment, and each
    # showtime's books reconcile (nothing confirmed is left, nothing is owed).
    moved = Counter(LedgerEntry.objects.filter(payment__in=paid).values_list("kind", flat=True))
    assert moved == {"charge": paid.count(), "refund": paid.count()}
    for slot_id in slots:
        books = ledger.slot_ledger(slot_id)
        assert books.net == books.booked == books.owed == 0 and books.reconciles
    # No hold was made once the showtime was cancelled (the job starts after that).
    for slot_id, job in jobs.items():
        assert not Hold.objects.filter(slot_id=slot_id, created_at__gt=job.created_at).exists()
    # Every customer told once, with the reason.
    notices = Counter(m.to[0] for m in mail.outbox if "cancelled" in m.subject)
    owners = Counter(cancelled.values_list("user__email", flat=True))
    assert notices == owners

    # Again: nothing changes.
    for job in jobs.values():
        operations.job_run(job_id=job.pk)
    assert set(refunds.values_list("refunds", flat=True)) == {1}
    assert Counter(m.to[0] for m in mail.outbox if "cancelled" in m.subject) == owners
    with pytest.raises(ApplicationError):
        bookings.hold_create(user=buyers[0], slot_id=general_slot.pk, quantity=1)
