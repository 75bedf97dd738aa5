"""A ticket given away while the door scans it: exactly one of the two wins, never both.

Real threads, each with its own PostgreSQL connection, through the services the API
calls. Both lock the ticket's row: either the scan comes first (the ticket is `used`
and the transfer is refused `ticket_used`) or the transfer does (a new code, and the
scan of the old text is `invalid_ticket`). Afterwards the database agrees, round by
round, and no seat is in two valid tickets.
"""

from collections import Counter
from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from apps.accounts.models import TeamMember, TeamRole
from apps.bookings import errors, services
from apps.bookings.models import Ticket, TicketTransfer
from apps.bookings.tickets import qr_text
from apps.checkin import services as checkin
from apps.checkin.models import Scan
from tests.support.booking import book

from .conftest import race, race_users

pytestmark = pytest.mark.django_db(transaction=True)
ROUNDS = 20


def test_a_transfer_racing_a_scan_of_the_same_ticket_has_one_winner(organizer, reserved_slot):
    buyer, gate = race_users("holder", 2)
    TeamMember.objects.create(organizer=organizer, user=gate, role=TeamRole.SCANNER)
    seats = list(reserved_slot.screen.seats.order_by("id").values_list("id", flat=True))
    for chunk in (seats[:10], seats[10:ROUNDS]):
        book(buyer, reserved_slot.pk, seat_ids=chunk)
    checkin.checkin_window_set(
        slot=reserved_slot, opens_at=timezone.now() - timedelta(hours=1), closes_at=None
    )
    tickets = list(Ticket.objects.filter(booking__slot=reserved_slot).order_by("id"))
    assert len(tickets) == ROUNDS

    def give(ticket_id, email):
        services.ticket_transfer(
            user=buyer, ticket_id=ticket_id, email=email, base_url="http://testserver/"
        )
        return "transferred"

    def scan(code):
        return checkin.ticket_scan(staff=gate, slot=reserved_slot, code=code, gate="north").result

    winners = Counter()
    for i, ticket in enumerate(tickets):
        text = qr_text(ticket)
        jobs = [(give, ticket.pk, f"friend{i}@race.example.org"), (scan, text)]
        if i % 2:
            jobs.reverse()  # who reaches the barrier last varies too
        results = dict(
            zip(
                [job[0].__name__ for job in jobs],
                race(lambda func, *args: func(*args), jobs, workers=2),
                strict=True,
            )
        )
        transferred, scanned = results["give"], results["scan"]
        if transferred == "transferred":
            assert scanned == Scan.Result.INVALID, (i, results)
            winners["transfer"] += 1
        else:
            assert isinstance(transferred, errors.TicketUsed), (i, results)
            assert scanned == Scan.Result.ADMITTED, (i, results)
            winners["scan"] += 1

        ticket.refresh_from_db()
        admitted = Scan.objects.filter(ticket=ticket, result=Scan.Result.ADMITTED).exists()
        given = TicketTransfer.objects.filter(ticket=ticket).exists()
        assert admitted != given, (i, results)  # exactly one of them happened
        if given:  # the new holder's ticket, valid; the old text proves nothing now
            assert ticket.status == Ticket.Status.VALID and ticket.holder_id is not None
            assert qr_text(ticket) != text
        else:
            assert ticket.status == Ticket.Status.USED and ticket.holder_id is None
            assert qr_text(ticket) == text

    assert sum(winners.values()) == ROUNDS
    doubled = (
        Ticket.objects.filter(booking__slot=reserved_slot, status=Ticket.Status.VALID)
        .values("seat_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not doubled.exists()
    assert Ticket.objects.filter(booking__slot=reserved_slot).count() == ROUNDS
