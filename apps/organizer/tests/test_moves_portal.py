"""The portal's booking page (cancel some tickets, move one booking) and the move of
every booking of a showtime (preview, start, progress, what could not move)."""

import pytest

from apps.bookings.models import Booking, PartialRefund
from apps.operations.models import MoveJob
from tests.support.booking import book_pairs
from tests.support.fixtures import *  # noqa: F403
from tests.support.showtimes import *  # noqa: F403

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def booked(reserved_slot, seat_ids, people):
    return book_pairs(reserved_slot, seat_ids, people(2, prefix="buyer"))


def manage(booking) -> str:
    return f"/organizer/slots/{booking.slot_id}/bookings/{booking.pk}/"


def test_the_bookings_list_links_each_booking(client, organizer, reserved_slot, booked):
    client.force_login(organizer)
    page = client.get(f"/organizer/slots/{reserved_slot.pk}/bookings/").content.decode()
    assert f'href="{manage(booked[0])}"' in page
    assert f'href="/organizer/slots/{reserved_slot.pk}/move/"' in page


def test_the_organizer_cancels_one_ticket(client, organizer, booked):
    client.force_login(organizer)
    page = client.get(manage(booked[0])).content.decode()
    assert "data-booking-total>20.00<" in page and 'name="tickets" value="2"' in page
    response = client.post(manage(booked[0]), {"action": "cancel", "tickets": ["2"]})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "1 ticket cancelled; 10.00 will be refunded" in page
    assert "data-booking-total>10.00<" in page
    assert PartialRefund.objects.get().status == "refunded"


def test_ticking_nothing_cancels_nothing(client, organizer, booked):
    client.force_login(organizer)
    page = client.get(client.post(manage(booked[0]), {"action": "cancel"})["Location"])
    assert "Tick at least one ticket" in page.content.decode()
    assert not PartialRefund.objects.exists()


def test_the_organizer_moves_one_booking(client, organizer, booked, later_slot):
    client.force_login(organizer)
    page = client.get(manage(booked[0])).content.decode()
    assert f'<option value="{later_slot.pk}"' in page
    response = client.post(
        manage(booked[0]), {"action": "move", "to": later_slot.pk, "refund_difference": "on"}
    )
    assert response["Location"] == f"/organizer/slots/{later_slot.pk}/bookings/{booked[0].pk}/"
    assert "moved to the same seats" in client.get(response["Location"]).content.decode()
    assert Booking.objects.get(pk=booked[0].pk).slot_id == later_slot.pk
    # The old showtime's page no longer has it.
    assert client.get(manage(booked[0])).status_code == 404


def test_moving_every_booking_shows_what_it_needs_then_follows_the_job(
    client, organizer, reserved_slot, later_slot, booked
):
    client.force_login(organizer)
    url = f"/organizer/slots/{reserved_slot.pk}/move/"
    preview = client.get(url, {"to": later_slot.pk, "refund_difference": "on"}).content.decode()
    assert "data-preview-bookings>2<" in preview
    assert not MoveJob.objects.exists()  # a preview changes nothing
    response = client.post(url, {"to": later_slot.pk, "refund_difference": "on"})
    job = MoveJob.objects.get()
    assert response["Location"] == f"/organizer/moves/{job.pk}/"
    status = client.get(response["Location"]).content.decode()
    assert 'data-job-status="done"' in status and "data-done>2<" in status
    assert set(Booking.objects.values_list("slot_id", flat=True)) == {later_slot.pk}


def test_a_rival_sees_none_of_it(client, other_organizer, reserved_slot, booked, later_slot):
    client.force_login(other_organizer)
    assert client.get(manage(booked[0])).status_code == 404
    assert client.get(f"/organizer/slots/{reserved_slot.pk}/move/").status_code == 404


def test_the_customer_cancels_some_tickets_on_the_site(client, booked):
    booking = booked[0]
    client.force_login(booking.user)
    form = client.get(f"/bookings/{booking.pk}/cancel/").content.decode()
    assert 'name="tickets" value="1"' in form and 'name="tickets" value="2"' in form
    none = client.post(f"/bookings/{booking.pk}/cancel/", {"choosing": "1"}, follow=True)
    assert "Choose at least one ticket" in none.content.decode()
    assert Booking.objects.get(pk=booking.pk).quantity == 2
    response = client.post(f"/bookings/{booking.pk}/cancel/", {"tickets": ["1"]})
    assert response["Location"] == f"/bookings/{booking.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "1 ticket cancelled" in page and 'data-refund="refunded">10.00 refunded.' in page
    assert Booking.objects.get(pk=booking.pk).status == "confirmed"
    # Choosing the last one cancels the booking.
    response = client.post(f"/bookings/{booking.pk}/cancel/")
    assert response["Location"] == "/bookings/"
    assert Booking.objects.get(pk=booking.pk).status == "cancelled"
