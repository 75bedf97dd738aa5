"""Moving every booking of a showtime: preview, a job one booking at a time, progress,
bookings that cannot move listed (and left untouched), a retry once there is room;
and the showtime's money ledger over the API."""

from decimal import Decimal

import pytest
from django.core import mail

from apps.bookings.models import Booking, SeatClaim
from apps.operations import moves
from apps.operations.models import MoveJob
from tests.support.booking import book, book_pairs
from tests.support.fixtures import client_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def booked(reserved_slot, seat_ids, people):
    """Three bookings of two seats each (A1-A2, A3-A4, A5-B1)."""
    return book_pairs(reserved_slot, seat_ids, people(3, prefix="buyer"))


def test_the_preview_counts_what_is_needed_and_free(organizer, reserved_slot, later_slot, booked):
    response = client_for(organizer).get(
        f"/api/v1/slots/{reserved_slot.pk}/move/?to={later_slot.pk}"
    )
    assert response.status_code == 200, response.content
    assert response.json() == {
        "slot": reserved_slot.pk,
        "to_slot": later_slot.pk,
        "bookings": 3,
        "tickets": 6,
        "needed": {"standard": 6},
        "free": {"premium": 5, "standard": 15},
    }


def test_the_preview_refuses_a_bad_target(organizer, reserved_slot, booked):
    client = client_for(organizer)
    missing = client.get(f"/api/v1/slots/{reserved_slot.pk}/move/")
    assert missing.status_code == 400
    same = client.get(f"/api/v1/slots/{reserved_slot.pk}/move/?to={reserved_slot.pk}")
    assert same.status_code == 409
    assert same.json()["error"]["code"] == "move_target_not_found"


def test_every_booking_moves_and_each_customer_is_told(
    organizer, reserved_slot, later_slot, booked
):
    client = client_for(organizer)
    started = client.post(
        f"/api/v1/slots/{reserved_slot.pk}/move/", {"slot": later_slot.pk}, format="json"
    )
    assert started.status_code == 202, started.content
    job_id = started.json()["job"]
    progress = client.get(f"/api/v1/moves/{job_id}/").json()
    assert (progress["status"], progress["done"], progress["total"], progress["failed"]) == (
        "done",
        3,
        3,
        0,
    )
    assert set(Booking.objects.values_list("slot_id", flat=True)) == {later_slot.pk}
    assert not SeatClaim.objects.filter(slot=reserved_slot).exists()
    moved = [m for m in mail.outbox if "has moved" in m.subject]
    assert sorted(m.to[0] for m in moved) == sorted(b.user.email for b in booked)
    # Starting again moves nothing more (nothing is left on the old showtime).
    again = client.post(
        f"/api/v1/slots/{reserved_slot.pk}/move/", {"slot": later_slot.pk}, format="json"
    )
    assert client.get(f"/api/v1/moves/{again.json()['job']}/").json()["total"] == 0


def test_what_cannot_move_is_listed_then_retried(
    organizer, reserved_slot, later_slot, booked, seat_ids, people
):
    # The later_slot show has 3 standard seats left (A1, A2, C5): the first booking keeps its
    # seats, the two others find no room (premium seats are another category).
    blockers = book(people(1, prefix="early")[0], later_slot.pk, seat_ids=seat_ids[2:10])
    book(people(1, prefix="early")[0], later_slot.pk, seat_ids=seat_ids[10:14])
    job = moves.slot_move(
        slot=reserved_slot, to_slot=later_slot, by=organizer, refund_difference=True
    )
    job.refresh_from_db()
    progress = client_for(organizer).get(f"/api/v1/moves/{job.pk}/").json()
    assert progress["status"] == "failed"
    assert (progress["done"], progress["failed"], progress["total"]) == (1, 2, 3)
    failures = list(moves_failures(job))
    assert all(item.error.startswith("move_no_seats") for item in failures)
    for item in failures:  # left exactly as they were
        assert Booking.objects.get(pk=item.booking_id).slot_id == reserved_slot.pk
        assert SeatClaim.objects.filter(booking_id=item.booking_id, slot=reserved_slot).count() == 2

    from apps.bookings import services

    services.booking_cancel(booking_id=blockers.pk, user=blockers.user)  # room again
    retried = client_for(organizer).post(f"/api/v1/moves/{job.pk}/retry/")
    assert retried.status_code == 202
    final = client_for(organizer).get(f"/api/v1/moves/{job.pk}/").json()
    assert (final["status"], final["done"], final["failed"]) == ("done", 3, 0)


def moves_failures(job):
    from apps.operations.selectors import move_failures

    return move_failures(job)


def test_moves_are_the_organizers_own(rival_client, organizer, reserved_slot, later_slot, booked):
    job = moves.slot_move(
        slot=reserved_slot, to_slot=later_slot, by=organizer, refund_difference=True
    )
    assert rival_client.get(f"/api/v1/moves/{job.pk}/").status_code == 404
    assert rival_client.post(f"/api/v1/moves/{job.pk}/retry/").status_code == 404
    response = rival_client.post(
        f"/api/v1/slots/{reserved_slot.pk}/move/", {"slot": later_slot.pk}, format="json"
    )
    assert response.status_code == 404
    assert MoveJob.objects.count() == 1


def test_the_ledger_api_reconciles(organizer, customer, reserved_slot, later_slot, booked):
    from apps.bookings import services

    services.booking_tickets_cancel(booking_id=booked[0].pk, numbers=[1], user=booked[0].user)
    services.booking_move(booking_id=booked[1].pk, to_slot_id=later_slot.pk, by=organizer)
    body = client_for(organizer).get(f"/api/v1/slots/{reserved_slot.pk}/ledger/").json()
    assert body["reconciles"] is True
    assert (body["charged"], body["refunded"], body["moved_out"], body["booked"]) == (
        "60.00",
        "10.00",
        "20.00",
        "30.00",
    )
    assert Decimal(body["net"]) == Decimal("30.00")
    assert [e["kind"] for e in body["results"]] == [
        "charge",
        "charge",
        "charge",
        "refund",
        "moved_out",
    ]
    later_books = client_for(organizer).get(f"/api/v1/slots/{later_slot.pk}/ledger/").json()
    assert (later_books["moved_in"], later_books["booked"], later_books["reconciles"]) == (
        "20.00",
        "20.00",
        True,
    )
    assert client_for(customer).get(f"/api/v1/slots/{later_slot.pk}/ledger/").status_code == 403
