"""Giving a ticket to someone by email: a new holder, a new QR text, both people told.

The door is reached through its API (`POST checkin/scan/`): the old text is refused at
once, the new one admits. A transferred ticket is still the one ticket of its seat."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from apps.accounts.models import User
from apps.bookings import errors, services
from apps.bookings.models import Ticket, TicketTransfer
from apps.bookings.tickets import qr_text
from apps.scheduling.models import Slot
from tests.support.booking import book
from tests.support.demo import sign_in
from tests.support.fixtures import client_for

pytestmark = pytest.mark.django_db
BASE = "http://testserver/"
PASSWORD = "pw-not-used-0"  # tests.support.fixtures' users
RESET_CONFIRM = "/api/v1/auth/password-reset/confirm/"


@pytest.fixture
def booking(customer, reserved_slot, seat_ids):
    return book(customer, reserved_slot.pk, seat_ids=seat_ids[:2])


@pytest.fixture
def ticket(booking):
    return booking.tickets.get(number=1)


@pytest.fixture
def friend(people):
    return people(1, prefix="friend")[0]


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run `func(...)` with its after-commit work (emails, the door's news) done."""

    def run(func, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return func(*args, **kwargs)

    return run


def give(user, ticket, email):
    return services.ticket_transfer(user=user, ticket_id=ticket.pk, email=email, base_url=BASE)


def api_give(user, booking, number, email):
    url = f"/api/v1/bookings/{booking.pk}/tickets/{number}/transfer/"
    return client_for(user).post(url, {"email": email}, format="json")


def door(organizer, slot):
    """The organizer's door client, with the door open now."""
    client = client_for(organizer)
    opens = (timezone.now() - timedelta(hours=1)).isoformat()
    response = client.patch(f"/api/v1/slots/{slot.pk}/checkin/", {"opens_at": opens})
    assert response.status_code == 200, response.content
    return client


def scan(client, slot, code):
    body = {"slot": slot.pk, "code": code, "gate": "north"}
    return client.post("/api/v1/checkin/scan/", body, format="json")


def test_an_unknown_address_gets_an_account_and_the_old_text_stops_admitting(
    customer, organizer, booking, ticket, reserved_slot, run_on_commit
):
    old = qr_text(ticket)
    response = run_on_commit(api_give, customer, booking, 1, " New.Friend@Example.org ")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["transferred_to"] == "n***@example.org"
    assert body["booking_reference"] == booking.reference and body["number"] == 1
    assert "qr" not in body and "code" not in body

    recipient = User.objects.get(email="new.friend@example.org")
    assert not recipient.has_usable_password() and recipient.email_verified_at is None
    ticket.refresh_from_db()
    assert ticket.holder == recipient and qr_text(ticket) != old
    assert TicketTransfer.objects.filter(ticket=ticket, from_user=customer, to_user=recipient)

    # Both told, once each: the recipient with the QR code inline and a set-password link.
    assert sorted(m.to[0] for m in mail.outbox) == [customer.email, recipient.email]
    received = next(m for m in mail.outbox if m.to == [recipient.email])
    assert f"{BASE}password-reset/" in received.body and qr_text(ticket) in received.body
    html = received.alternatives[0][0]
    cid = f"ticket-{booking.reference}-1"
    assert f"cid:{cid}" in html
    assert [
        p["Content-ID"] for p in received.message().walk() if p.get_content_type() == "image/png"
    ] == [f"<{cid}>"]
    given = next(m for m in mail.outbox if m.to == [customer.email])
    assert "n***@example.org" in given.subject and qr_text(ticket) not in given.body
    local = reserved_slot.starts_at.astimezone(reserved_slot.screen.venue.tzinfo)
    assert local.strftime("%H:%M") in received.body and local.strftime("%H:%M") in given.body

    # The link sets the new account's password: it can sign in and see its ticket.
    link = re.search(r"password-reset/([^/\s]+)/([^/\s]+)/", received.body)
    uid, token = link.groups()
    new_password = "a-long-passphrase-for-tests-7"
    confirm = {"uid": uid, "token": token, "password": new_password}
    assert client_for(None).post(RESET_CONFIRM, confirm, format="json").status_code == 204
    login = {"email": recipient.email, "password": new_password}
    assert client_for(None).post("/api/v1/auth/token/", login, format="json").status_code == 200
    listed = client_for(recipient).get("/api/v1/tickets/").json()["results"]
    assert [(t["id"], t["qr"]) for t in listed] == [(ticket.pk, qr_text(ticket))]

    gate = door(organizer, reserved_slot)
    refused = scan(gate, reserved_slot, old)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_ticket"
    admitted = scan(gate, reserved_slot, qr_text(ticket))
    assert admitted.status_code == 200 and admitted.json()["result"] == "admitted"


def test_a_known_user_gets_it_whatever_the_case_of_the_address(
    customer, friend, ticket, run_on_commit
):
    run_on_commit(give, customer, ticket, friend.email.upper())
    ticket.refresh_from_db()
    assert ticket.holder == friend
    assert User.objects.filter(email__iexact=friend.email).count() == 1
    received = next(m for m in mail.outbox if m.to == [friend.email])
    assert "password-reset" not in received.body and f"{BASE}bookings/" in received.body


def test_refusals(customer, friend, booking, ticket, reserved_slot, people):
    stranger = people(1, prefix="stranger")[0]
    with pytest.raises(errors.TicketNotFound):
        give(stranger, ticket, "x@example.org")  # someone else's ticket: not revealed
    with pytest.raises(errors.TransferToSelf):
        give(customer, ticket, customer.email.upper())
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.USED)
    with pytest.raises(errors.TicketUsed):
        give(customer, ticket, friend.email)
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.VALID)
    Slot.objects.filter(pk=reserved_slot.pk).update(starts_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(errors.TransferClosed):
        give(customer, ticket, friend.email)
    ticket.refresh_from_db()
    assert ticket.holder is None and not TicketTransfer.objects.exists()


def test_a_cancelled_booking_cancels_the_given_ticket_and_tells_its_holder(
    customer, friend, booking, ticket, run_on_commit
):
    run_on_commit(give, customer, ticket, friend.email)
    mail.outbox.clear()
    run_on_commit(services.booking_cancel, user=customer, booking_id=booking.pk)
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CANCELLED
    told = [m for m in mail.outbox if m.to == [friend.email]]
    assert len(told) == 1 and "no longer admit" in told[0].body
    with pytest.raises(errors.TicketCancelled):
        give(friend, ticket, "someone@example.org")
    assert client_for(friend).get("/api/v1/tickets/").json()["results"][0]["status"] == (
        "cancelled"
    )


def test_given_on_twice_only_the_last_text_admits(
    customer, organizer, ticket, reserved_slot, people, run_on_commit
):
    b, c = people(2, prefix="chain")
    text_a = qr_text(ticket)
    run_on_commit(give, customer, ticket, b.email)
    ticket.refresh_from_db()
    text_b = qr_text(ticket)
    # B holds it now: the buyer may not give it again, B may (by the ticket's own path).
    with pytest.raises(errors.TicketNotFound):
        give(customer, ticket, c.email)
    response = client_for(b).post(
        f"/api/v1/tickets/{ticket.pk}/transfer/", {"email": c.email}, format="json"
    )
    assert response.status_code == 200, response.content
    ticket.refresh_from_db()
    assert ticket.holder == c
    assert client_for(b).get("/api/v1/tickets/").json()["count"] == 0
    listed = client_for(c).get("/api/v1/tickets/").json()["results"]
    assert [t["id"] for t in listed] == [ticket.pk] and listed[0]["qr"] == qr_text(ticket)

    gate = door(organizer, reserved_slot)
    for text in (text_a, text_b):
        assert scan(gate, reserved_slot, text).json()["error"]["code"] == "invalid_ticket"
    assert scan(gate, reserved_slot, qr_text(ticket)).json()["result"] == "admitted"
    # Still one ticket for the seat.
    assert Ticket.objects.filter(booking__slot=reserved_slot, seat=ticket.seat).count() == 1


def test_a_typed_reference_does_not_admit_a_given_ticket(
    customer, organizer, friend, booking, ticket, reserved_slot, run_on_commit
):
    """The buyer knows the booking's reference: typed at the door it must not let them in
    on the ticket they gave away (the recipient's QR text does); the reference alone
    names the booking's other ticket."""
    run_on_commit(give, customer, ticket, friend.email)
    gate = door(organizer, reserved_slot)
    typed = scan(gate, reserved_slot, f"{booking.reference}-1")
    assert typed.status_code == 400 and typed.json()["error"]["code"] == "invalid_ticket"
    bare = scan(gate, reserved_slot, booking.reference.lower())
    assert bare.json()["result"] == "admitted" and bare.json()["ticket"]["number"] == 2
    ticket.refresh_from_db()
    assert ticket.status == "valid"
    assert scan(gate, reserved_slot, qr_text(ticket)).json()["result"] == "admitted"


def test_a_used_ticket_is_refused_over_the_api(customer, organizer, booking, ticket, reserved_slot):
    gate = door(organizer, reserved_slot)
    assert scan(gate, reserved_slot, qr_text(ticket)).json()["result"] == "admitted"
    response = api_give(customer, booking, 1, "late@example.org")
    assert response.status_code == 409 and response.json()["error"]["code"] == "ticket_used"
    assert not User.objects.filter(email="late@example.org").exists()
    assert api_give(customer, booking, 9, "x@example.org").status_code == 404
    bad = api_give(customer, booking, 2, "not an email")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "validation_error"
    own = api_give(customer, booking, 2, customer.email)
    assert own.status_code == 400 and own.json()["error"]["code"] == "transfer_to_self"


def test_the_buyer_sees_to_whom_but_not_the_new_qr(customer, friend, booking, ticket):
    give(customer, ticket, friend.email)
    ticket.refresh_from_db()
    detail = client_for(customer).get(f"/api/v1/bookings/{booking.pk}/").json()
    given, kept = detail["tickets"]
    assert given["transferred_to"] == "f***@example.org"
    assert given["qr"] is None and given["qr_svg"] is None and given["code"] is None
    assert kept["transferred_to"] is None and kept["qr"]
    assert qr_text(ticket) not in str(detail)


def test_given_back_to_the_buyer_it_is_the_booking_ticket_again(customer, friend, booking, ticket):
    give(customer, ticket, friend.email)
    give(friend, ticket, customer.email)
    ticket.refresh_from_db()
    assert ticket.holder is None
    detail = client_for(customer).get(f"/api/v1/bookings/{booking.pk}/").json()
    assert detail["tickets"][0]["qr"] == qr_text(ticket)


def test_the_pages_give_a_ticket_and_show_it_to_the_recipient(
    client, customer, friend, booking, ticket
):
    sign_in(client, customer.email, PASSWORD)
    page = client.get(f"/bookings/{booking.pk}/").content.decode()
    assert page.count("Give this ticket to someone") == 2
    url = f"/bookings/{booking.pk}/tickets/1/transfer/"
    response = client.post(url, {"email": "nope"}, follow=True)
    assert response.status_code == 200
    assert "Enter the email address of the person" in response.content.decode()
    response = client.post(url, {"email": friend.email}, follow=True)
    page = response.content.decode()
    assert "Ticket 1 was given to f***@example.org" in page
    assert "Transferred to f***@example.org" in page
    assert page.count("Give this ticket to someone") == 1
    ticket.refresh_from_db()
    assert qr_text(ticket) not in page
    # Again: refused on the page (no longer the buyer's), never a 500.
    response = client.post(url, {"email": "third@example.org"}, follow=True)
    assert response.status_code == 200 and "No such ticket of yours" in response.content.decode()

    client.logout()
    client.cookies.clear()
    sign_in(client, friend.email, PASSWORD)
    page = client.get("/bookings/").content.decode()
    assert "Tickets given to you" in page and f"{booking.reference}-1" in page
    assert "data:image/svg+xml" in page and "Give this ticket to someone" in page
