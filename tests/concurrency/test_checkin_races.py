"""Eight gates scan the same fifty tickets at once: each ticket admits exactly once.

Real threads, each with its own PostgreSQL connection, through the service the API
calls; afterwards the database holds one admission per ticket and every ticket `used`.
"""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.models import TeamMember, TeamRole
from apps.bookings.models import Ticket
from apps.bookings.tickets import qr_text
from apps.checkin import services as checkin
from apps.checkin.models import Scan
from tests.support.booking import book

from .conftest import race, race_users

pytestmark = pytest.mark.django_db(transaction=True)
GATES = 8
TICKETS = 50


@pytest.fixture
def general_capacity() -> int:
    return TICKETS


def test_eight_gates_fifty_tickets_fifty_admissions(organizer, general_slot):
    buyers = race_users("fan", TICKETS // 10)
    for buyer in buyers:
        book(buyer, general_slot.pk, quantity=10)
    checkin.checkin_window_set(
        slot=general_slot, opens_at=timezone.now() - timedelta(hours=1), closes_at=None
    )
    staff = race_users("gate", GATES)
    for member in staff:
        TeamMember.objects.create(organizer=organizer, user=member, role=TeamRole.SCANNER)
    codes = [qr_text(t) for t in Ticket.objects.filter(booking__slot=general_slot)]
    assert len(codes) == TICKETS

    def gate_scans(member, gate, order):
        return [
            checkin.ticket_scan(staff=member, slot=general_slot, code=code, gate=gate).result
            for code in order
        ]

    # Half the gates in one order, half reversed, all interleaved: many tickets are
    # scanned at two or more gates in the same instant.
    orders = [codes if i % 2 else codes[::-1] for i in range(GATES)]
    jobs = [(m, f"gate-{i}", orders[i]) for i, m in enumerate(staff)]
    results = race(gate_scans, jobs, workers=GATES)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    answers = Counter(result for per_gate in results for result in per_gate)
    assert answers == {"admitted": TICKETS, "already_checked_in": TICKETS * (GATES - 1)}

    admissions = Counter(Scan.objects.filter(result="admitted").values_list("ticket_id", flat=True))
    assert len(admissions) == TICKETS and set(admissions.values()) == {1}
    statuses = Ticket.objects.filter(booking__slot=general_slot).values_list("status", flat=True)
    assert set(statuses) == {"used"}
