"""The portal's showtime cancellation: the preview, the confirmation, the job's page."""

import pytest

from apps.bookings.models import Booking
from apps.bookings.payments import TestProvider
from apps.operations.models import Job
from tests.support.booking import book, book_pairs
from tests.support.fixtures import *  # noqa: F403
from tests.support.showtimes import *  # noqa: F403

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def booked(reserved_slot, seat_ids, people):
    return book_pairs(reserved_slot, seat_ids, people(2, prefix="buyer"))


def page(slot) -> str:
    return f"/organizer/slots/{slot.pk}/cancel/"


def test_the_organizer_sees_what_it_will_do_then_cancels(client, organizer, reserved_slot, booked):
    client.force_login(organizer)
    preview = client.get(page(reserved_slot)).content.decode()
    assert "data-bookings>2<" in preview and "data-tickets>4<" in preview
    assert "data-refund>40.00<" in preview
    assert f'<a href="/organizer/slots/{reserved_slot.pk}/bookings/">Keep it</a>' in preview
    assert Booking.objects.filter(status="confirmed").count() == 2  # nothing done yet

    response = client.post(page(reserved_slot), {"reason": "The projector failed."})
    job = Job.objects.get()
    assert (
        response.status_code == 302
        and response["Location"] == f"/organizer/cancellations/{job.pk}/"
    )
    status = client.get(response["Location"]).content.decode()
    assert 'data-job-status="done"' in status and "data-done>2<" in status
    assert 'http-equiv="refresh"' not in status  # finished: no more refreshing
    assert set(Booking.objects.values_list("status", flat=True)) == {"cancelled"}
    # The preview page now leads to the job.
    assert client.get(page(reserved_slot))["Location"] == f"/organizer/cancellations/{job.pk}/"

    # The customer's booking page says so.
    client.force_login(booked[0].user)
    mine = client.get(f"/bookings/{booked[0].pk}/").content.decode()
    assert "by the organizer (“The projector failed.”)" in mine
    assert 'data-refund="refunded">20.00 refunded.' in mine


def test_a_reason_is_required(client, organizer, reserved_slot, booked):
    client.force_login(organizer)
    response = client.post(page(reserved_slot), {"reason": ""})
    assert response.status_code == 200 and "field-error" in response.content.decode()
    assert not Job.objects.exists()


def test_refused_refunds_are_listed_with_a_retry(
    client, organizer, reserved_slot, booked, monkeypatch
):
    real = TestProvider.refund

    def refuses(self, *, ref, amount, currency="EUR"):
        raise RuntimeError("issuer unavailable")

    monkeypatch.setattr(TestProvider, "refund", refuses)
    client.force_login(organizer)
    location = client.post(page(reserved_slot), {"reason": "Storm"})["Location"]
    status = client.get(location).content.decode()
    assert 'data-job-status="failed"' in status and "issuer unavailable" in status
    assert booked[0].reference in status
    monkeypatch.setattr(TestProvider, "refund", real)
    retried = client.post(f"{location}retry/")
    assert retried.status_code == 302
    assert 'data-job-status="done"' in client.get(location).content.decode()


def test_only_the_organizer_may(client, customer, other_organizer, reserved_slot, booked):
    assert client.get(page(reserved_slot)).status_code == 302  # log in first
    client.force_login(customer)
    assert client.get(page(reserved_slot)).status_code == 403
    client.force_login(other_organizer)
    assert client.get(page(reserved_slot)).status_code == 404
    assert client.post(page(reserved_slot), {"reason": "x"}).status_code == 404
    assert not Job.objects.exists()


def test_the_organizer_cancels_a_whole_event(
    client, organizer, event, reserved_slot, general_slot, seat_ids, people
):
    (fan,) = people(1, prefix="fan")
    book(fan, general_slot.pk, quantity=2)
    client.force_login(organizer)
    url = f"/organizer/events/{event.pk}/cancel/"
    preview = client.get(url).content.decode()
    assert "data-bookings>1<" in preview and "data-refund>50.00<" in preview
    assert client.post(url, {"reason": "Tour called off"})["Location"] == url
    done = client.get(url).content.decode()
    assert "is cancelled" in done and done.count('data-job-status="done"') == 2
    assert set(Booking.objects.values_list("status", flat=True)) == {"cancelled"}
    assert f'href="{url}"' in client.get("/organizer/events/").content.decode()
