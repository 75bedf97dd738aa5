"""Cancelling a showtime: the sale stops, every booking is cancelled, refunded once and
told once, the waitlist is closed; a job can run again and survives a run dying."""

from collections import Counter

import pytest
from django.core import mail

from apps.bookings.models import Booking, Payment, TestProviderCharge, Ticket
from apps.bookings.payments import TestProvider
from apps.bookings.tickets import qr_text
from apps.checkin import services as checkin
from apps.operations import services
from apps.operations.models import Job, JobBooking
from apps.scheduling.models import SlotStatus
from apps.waitlist.models import WaitlistEntry
from tests.support.booking import book, book_pairs
from tests.support.fixtures import client_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def booked(reserved_slot, seat_ids, people):
    """Three customers with one booking each on the reserved showtime, one waiting."""
    buyers = people(3, prefix="buyer")
    bookings = book_pairs(reserved_slot, seat_ids, buyers)
    return bookings


def start(organizer, slot, reason="The projector failed."):
    return client_for(organizer).post(f"/api/v1/slots/{slot.pk}/cancel/", {"reason": reason})


def progress(organizer, job_id):
    return client_for(organizer).get(f"/api/v1/jobs/{job_id}/").json()


def refunds_by_ref() -> dict[str, int]:
    return dict(TestProviderCharge.objects.values_list("ref", "refunds"))


def test_the_preview_says_what_it_will_do(organizer, reserved_slot, booked):
    body = client_for(organizer).get(f"/api/v1/slots/{reserved_slot.pk}/cancel/").json()
    assert body == {
        "slot": reserved_slot.pk,
        "bookings": 3,
        "customers": 3,
        "tickets": 6,
        "refund_total": "60.00",
        "waiting": 0,
    }
    reserved_slot.refresh_from_db()
    assert reserved_slot.status == SlotStatus.SCHEDULED  # a preview changes nothing


def test_cancelling_refunds_and_tells_everyone_once(
    organizer, customer, reserved_slot, seat_ids, booked
):
    response = start(organizer, reserved_slot)
    assert response.status_code == 202
    job_id = response.json()["job"]
    reserved_slot.refresh_from_db()
    assert reserved_slot.status == SlotStatus.CANCELLED

    # Eager Celery in tests: the job has run.
    assert progress(organizer, job_id) | {"created_at": None, "finished_at": None} == {
        "id": job_id,
        "slot": reserved_slot.pk,
        "reason": "The projector failed.",
        "status": "done",
        "done": 3,
        "total": 3,
        "failed_refunds": 0,
        "failed_emails": 0,
        "waitlist_closed": 0,
        "created_at": None,
        "finished_at": None,
    }
    assert set(Booking.objects.values_list("status", flat=True)) == {"cancelled"}
    assert set(Ticket.objects.values_list("status", flat=True)) == {"cancelled"}
    assert set(Payment.objects.values_list("status", flat=True)) == {"refunded"}
    assert set(refunds_by_ref().values()) == {1}
    told = Counter(address for message in mail.outbox for address in message.to)
    assert told == {booking.user.email: 2 for booking in booked}  # confirmation, then this
    notice = next(m for m in mail.outbox if "cancelled" in m.subject)
    assert "The projector failed." in notice.body and "20.00 was refunded" in notice.body

    # Starting it again returns the same job; running it again changes nothing.
    assert start(organizer, reserved_slot).json() == {"job": job_id}
    services.job_run(job_id=job_id)
    assert set(refunds_by_ref().values()) == {1}
    assert len(mail.outbox) == 6

    # The sale is over, and the door refuses the old tickets.
    hold = client_for(customer).post(
        "/api/v1/bookings/hold-seats/", {"slot": reserved_slot.pk, "seats": seat_ids[10:11]}
    )
    assert hold.status_code in (404, 409), hold.content
    outcome = checkin.ticket_scan(
        staff=organizer, slot=reserved_slot, code=qr_text(booked[0].tickets.first()), gate="g"
    )
    assert outcome.result == "ticket_cancelled"


def test_the_waitlist_is_closed_and_told(organizer, reserved_slot, sold_out, people):
    from apps.waitlist.services import waitlist_join

    waiting = people(2, prefix="waiting")
    for person in waiting:
        waitlist_join(user=person, slot_id=reserved_slot.pk, quantity=1)
    job_id = start(organizer, reserved_slot).json()["job"]
    assert progress(organizer, job_id)["waitlist_closed"] == 2
    assert set(WaitlistEntry.objects.values_list("status", flat=True)) == {"closed"}
    closed_mail = [m for m in mail.outbox if m.to[0].startswith("waiting")]
    assert len(closed_mail) == 2 and all("waitlist is closed" in m.body for m in closed_mail)


def test_a_run_that_dies_half_way_is_finished_by_the_next(
    organizer, reserved_slot, booked, monkeypatch
):
    told = []
    real_tell = services._tell

    def dies_on_the_second(job, booking, *, refunded):
        if len(told) == 1:
            raise SystemExit("worker killed")  # not an Exception: nothing catches it
        told.append(booking.pk)
        real_tell(job, booking, refunded=refunded)

    monkeypatch.setattr(services, "_tell", dies_on_the_second)
    monkeypatch.setattr(services, "_queue", lambda job_id: None)  # no eager run at start
    job = services.slot_cancel(slot=reserved_slot, reason="Storm", by=organizer)
    with pytest.raises(SystemExit):
        services.job_run(job_id=job.pk)
    assert services.job_run(job_id=job.pk) is None  # the dead run's lease still holds it
    Job.objects.filter(pk=job.pk).update(lease_until=None)  # ... until it lapses

    monkeypatch.setattr(services, "_tell", real_tell)
    finished = services.job_run(job_id=job.pk)
    assert finished.status == "done"
    assert JobBooking.objects.filter(notified_at__isnull=True).count() == 0
    assert set(refunds_by_ref().values()) == {1}
    notices = Counter(m.to[0] for m in mail.outbox if "cancelled" in m.subject)
    assert notices == {booking.user.email: 1 for booking in booked}


def test_a_refused_refund_is_listed_and_retried(organizer, reserved_slot, booked, monkeypatch):
    real_refund = TestProvider.refund

    def refuses(self, *, ref, amount):
        raise RuntimeError("card account closed")

    monkeypatch.setattr(TestProvider, "refund", refuses)
    job_id = start(organizer, reserved_slot).json()["job"]
    body = progress(organizer, job_id)
    assert (body["status"], body["done"], body["failed_refunds"]) == ("failed", 3, 3)
    assert set(Payment.objects.values_list("status", flat=True)) == {"refund_pending"}
    notice = next(m for m in mail.outbox if "cancelled" in m.subject)
    assert "is on its way" in notice.body

    monkeypatch.setattr(TestProvider, "refund", real_refund)
    retried = client_for(organizer).post(f"/api/v1/jobs/{job_id}/retry/")
    assert retried.status_code == 202
    body = progress(organizer, job_id)
    assert (body["status"], body["failed_refunds"]) == ("done", 0)
    assert set(refunds_by_ref().values()) == {1}
    assert len([m for m in mail.outbox if "cancelled" in m.subject]) == 3  # told once each


def test_who_may_cancel(organizer, other_organizer, customer, reserved_slot, booked, make_member):
    url = f"/api/v1/slots/{reserved_slot.pk}/cancel/"
    assert client_for(None).post(url, {"reason": "x"}).status_code == 401
    assert client_for(customer).post(url, {"reason": "x"}).status_code == 403
    assert client_for(make_member("scanner")).post(url, {"reason": "x"}).status_code == 403
    assert client_for(other_organizer).post(url, {"reason": "x"}).status_code == 404
    assert client_for(organizer).post(url, {}).status_code == 400
    response = client_for(make_member("manager")).post(url, {"reason": "Flooded"})
    assert response.status_code == 202
    job_url = f"/api/v1/jobs/{response.json()['job']}/"
    assert client_for(other_organizer).get(job_url).status_code == 404
    assert client_for(organizer).get(job_url).status_code == 200


@pytest.fixture
def make_member(organizer):
    from apps.accounts.models import TeamMember
    from tests.support.fixtures import make_user

    def make(role):
        user = make_user(f"{role}@example.org", "customer")
        TeamMember.objects.create(organizer=organizer, user=user, role=role)
        return user

    return make


def test_a_mail_server_down_leaves_those_customers_for_the_retry(
    organizer, reserved_slot, booked, monkeypatch
):
    real_tell = services._tell

    def mail_down(job, booking, *, refunded):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(services, "_tell", mail_down)
    job_id = start(organizer, reserved_slot).json()["job"]
    body = progress(organizer, job_id)
    assert (body["status"], body["done"], body["failed_emails"]) == ("failed", 0, 3)
    assert set(refunds_by_ref().values()) == {1}  # the refunds went through all the same

    monkeypatch.setattr(services, "_tell", real_tell)
    client_for(organizer).post(f"/api/v1/jobs/{job_id}/retry/")
    body = progress(organizer, job_id)
    assert (body["status"], body["done"], body["failed_emails"]) == ("done", 3, 0)
    assert len([m for m in mail.outbox if "cancelled" in m.subject]) == 3


def test_cancelling_a_whole_event_cancels_each_showtime_with_its_job(
    organizer, event, reserved_slot, general_slot, seat_ids, people
):
    first, second = people(2, prefix="evening")
    book(first, reserved_slot.pk, seat_ids=seat_ids[:1])
    book(second, general_slot.pk, quantity=3)
    client = client_for(organizer)
    preview = client.get(f"/api/v1/events/{event.pk}/cancel/").json()
    assert (preview["bookings"], preview["tickets"], preview["refund_total"]) == (2, 4, "85.00")
    assert [p["slot"] for p in preview["showtimes"]] == [reserved_slot.pk, general_slot.pk]

    response = client.post(f"/api/v1/events/{event.pk}/cancel/", {"reason": "Tour called off"})
    assert response.status_code == 202
    jobs = response.json()["jobs"]
    assert len(jobs) == 2 and {progress(organizer, j)["status"] for j in jobs} == {"done"}
    event.refresh_from_db()
    assert event.status == "cancelled"
    assert set(Booking.objects.values_list("status", flat=True)) == {"cancelled"}
    again = client.post(f"/api/v1/events/{event.pk}/cancel/", {"reason": "Tour called off"})
    assert again.json()["jobs"] == jobs
