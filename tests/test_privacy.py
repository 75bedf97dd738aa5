"""The owner's data across the apps (`accounts.privacy` with the sections and erasers of
bookings, waitlist, checkin and operations): the export holds every booking of the user
and nothing of anyone else; deleting is refused while a show is still to come, and
afterwards the organizer's books keep the booking without the person."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts import privacy
from apps.bookings import services as bookings
from apps.bookings.models import Hold, Payment, Ticket, TicketTransfer
from apps.checkin.models import Scan
from apps.operations.models import Job, JobBooking
from apps.scheduling.models import Slot
from apps.waitlist.models import WaitlistEntry
from apps.waitlist.services import waitlist_join
from tests.support.booking import *  # noqa: F403
from tests.support.booking import book
from tests.support.fixtures import *  # noqa: F403
from tests.support.fixtures import client_for
from tests.support.showtimes import *  # noqa: F403

pytestmark = pytest.mark.django_db

PASSWORD = "pw-not-used-0"  # tests.support.fixtures' users
ME = "/api/v1/auth/me/"


@pytest.fixture
def ana(people):
    (ana,) = people(1, prefix="ana")
    return ana


@pytest.fixture
def bruno(people):
    (bruno,) = people(1, prefix="bruno")
    return bruno


def export_of(user) -> dict:
    response = client_for(user).get("/api/v1/auth/me/export/")
    assert response.status_code == 200, response.content
    return response.json()


def delete(user, password=PASSWORD):
    return client_for(user).delete(ME, {"password": password}, format="json")


def into_the_past(slot: Slot) -> None:
    """The show took place: it started three hours ago and ended one hour ago."""
    now = timezone.now()
    Slot.objects.filter(pk=slot.pk).update(
        starts_at=now - timedelta(hours=3), ends_at=now - timedelta(hours=1)
    )


def scan(ticket: Ticket) -> Scan:
    return Scan.objects.create(
        slot_id=ticket.booking.slot_id,
        ticket=ticket,
        gate="North door",
        result=Scan.Result.ADMITTED,
        scanned_at=timezone.now(),
    )


def test_the_export_has_every_booking_of_the_user_and_nothing_of_anyone_else(
    ana, bruno, organizer, reserved_slot, general_slot, seat_ids
):
    mine = [
        book(ana, reserved_slot.pk, seat_ids=seat_ids[:2]),
        book(ana, general_slot.pk, quantity=3),
        bookings.booking_cancel(booking_id=book(ana, reserved_slot.pk, seat_ids=seat_ids[2:3]).pk),
    ]
    theirs = [
        book(bruno, reserved_slot.pk, seat_ids=seat_ids[5:7]),
        book(bruno, general_slot.pk, quantity=1),
    ]
    my_hold = bookings.hold_create(user=ana, slot_id=reserved_slot.pk, seat_ids=seat_ids[10:11])
    their_hold = bookings.hold_create(user=bruno, slot_id=general_slot.pk, quantity=2)
    my_scan = scan(mine[0].tickets.first())
    scan(theirs[0].tickets.first())
    job = Job.objects.create(organizer=organizer, slot=reserved_slot, reason="A storm")
    JobBooking.objects.create(job=job, booking=mine[2])

    data = export_of(ana)

    assert {b["reference"] for b in data["bookings"]} == {b.reference for b in mine}
    assert {b["id"] for b in data["bookings"]} == {b.pk for b in mine}
    first = next(b for b in data["bookings"] if b["id"] == mine[0].pk)
    assert first["event"] == reserved_slot.event.title and first["total"] == "20.00"
    assert [t["seat"] for t in first["tickets"]] == ["A1", "A2"]
    assert {t["status"] for t in first["tickets"]} == {"valid"}
    assert [h["id"] for h in data["holds"]] == [my_hold.pk]
    assert data["holds"][0]["seats"] == ["C1"]
    assert {p["booking"] for p in data["payments"]} == {b.reference for b in mine}
    assert {p["id"] for p in data["payments"]} == set(
        Payment.objects.filter(user=ana).values_list("id", flat=True)
    )
    (door,) = data["checkin_scans"]
    assert door["ticket"] == f"{mine[0].reference}-1" and door["scanned_at"]
    assert door["showtime"] == my_scan.slot_id
    assert data["showtime_cancellations"] == [
        {
            "booking": mine[2].reference,
            "reason": "A storm",
            "cancelled_at": data["showtime_cancellations"][0]["cancelled_at"],
            "notified_at": None,
            "refund_error": "",
        }
    ]
    # Nothing of Bruno's: no reference, id, address or name of his anywhere.
    text = json.dumps(data)
    for foreign in [b.reference for b in theirs] + [bruno.email, bruno.full_name]:
        assert foreign not in text
    their_payments = set(Payment.objects.filter(user=bruno).values_list("id", flat=True))
    assert not their_payments & {p["id"] for p in data["payments"]}
    assert their_hold.pk not in {h["id"] for h in data["holds"]}
    assert not {b.pk for b in theirs} & {b["id"] for b in data["bookings"]}
    # No ticket's secret either: the codes are the tickets themselves.
    for ticket in Ticket.objects.filter(booking__in=mine):
        assert ticket.code not in text


def test_deleting_is_refused_while_a_show_is_still_to_come(
    ana, reserved_slot, general_slot, seat_ids
):
    booking = book(ana, reserved_slot.pk, seat_ids=seat_ids[:1])
    hold = bookings.hold_create(user=ana, slot_id=general_slot.pk, quantity=2)
    response = delete(ana)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "active_bookings"
    assert error["details"] == {"bookings": [booking.reference], "tickets": []}
    # Nothing erased, nothing released: the hold let go inside the transaction came back.
    ana.refresh_from_db()
    assert ana.is_active and ana.email.startswith("ana") and ana.full_name
    assert Hold.objects.filter(pk=hold.pk).exists()
    # The customer cancels first; then the account can go.
    bookings.booking_cancel(user=ana, booking_id=booking.pk)
    assert delete(ana).status_code == 204


def test_a_wrong_password_says_so_before_any_refusal(ana, reserved_slot, seat_ids):
    book(ana, reserved_slot.pk, seat_ids=seat_ids[:1])
    response = delete(ana, password="guess")
    assert response.status_code == 400 and response.json()["error"]["code"] == "wrong_password"


def test_after_deleting_the_organizers_books_keep_the_booking_without_the_person(
    ana,
    bruno,
    organizer,
    reserved_slot,
    general_slot,
    seat_ids,
    sold_out,
    django_capture_on_commit_callbacks,
):
    # `sold_out` books every seat of reserved_slot; Ana's booking is of the general slot.
    booking = book(ana, general_slot.pk, quantity=2)
    payment = Payment.objects.get(booking=booking)
    entry = waitlist_join(user=ana, slot_id=reserved_slot.pk, quantity=2)
    into_the_past(general_slot)
    old_email, old_name = ana.email, ana.full_name
    with django_capture_on_commit_callbacks(execute=True):
        assert delete(ana).status_code == 204

    # Kept: the booking, its tickets and payment, still the (anonymised) account's.
    booking.refresh_from_db()
    assert booking.user_id == ana.pk and booking.status == "confirmed"
    assert booking.tickets.count() == 2
    assert Payment.objects.get(pk=payment.pk).user_id == ana.pk
    # Gone: the waitlist place.
    assert not WaitlistEntry.objects.filter(pk=entry.pk).exists()
    # The organizer's list and its CSV show the booking, not the person.
    portal = Client()
    portal.force_login(organizer)
    page = portal.get(f"/organizer/slots/{general_slot.pk}/bookings/").content.decode()
    assert booking.reference in page
    assert old_email not in page and old_name not in page
    assert "data-erased>Deleted account<" in page and "deleted.invalid" not in page
    csv = portal.get(f"/organizer/slots/{general_slot.pk}/bookings/", {"format": "csv"})
    assert booking.reference in csv.content.decode()
    assert "(deleted account)" in csv.content.decode()
    assert "deleted.invalid" not in csv.content.decode()
    assert old_email not in csv.content.decode() and old_name not in csv.content.decode()
    searched = portal.get(f"/organizer/slots/{general_slot.pk}/bookings/", {"q": old_email})
    assert booking.reference not in searched.content.decode()
    # The old address cannot log in, by the API or the page.
    api = APIClient().post("/api/v1/auth/login/", {"email": old_email, "password": PASSWORD})
    assert api.status_code == 401
    page_login = Client().post("/login/", {"email": old_email, "password": PASSWORD})
    assert page_login.status_code == 200 and "not right" in page_login.content.decode()


def test_live_holds_are_released_and_their_seats_announced(
    ana, people, reserved_slot, seat_ids, django_capture_on_commit_callbacks, monkeypatch
):
    from apps.bookings import events

    announced = []
    monkeypatch.setattr(events, "seats_released", lambda released, **kw: announced.append(released))
    hold = bookings.hold_create(user=ana, slot_id=reserved_slot.pk, seat_ids=seat_ids[:3])
    with django_capture_on_commit_callbacks(execute=True):
        privacy.user_delete(user=ana, password=PASSWORD)
    assert not Hold.objects.filter(pk=hold.pk).exists()
    (released,) = announced
    assert released.slot_id == reserved_slot.pk and released.seat_ids == tuple(seat_ids[:3])
    # The seats can be held again at once.
    (next_buyer,) = people(1, prefix="next")
    assert bookings.hold_create(user=next_buyer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:3])


def test_a_ticket_given_to_the_user_is_theirs_to_export_and_blocks_deleting(
    ana, bruno, reserved_slot, seat_ids
):
    booking = book(bruno, reserved_slot.pk, seat_ids=seat_ids[:2])
    bookings.ticket_transfer(
        user=bruno, email=ana.email, base_url="http://testserver/", booking_id=booking.pk, number=2
    )
    mine = export_of(ana)
    (held,) = mine["held_tickets"]
    assert (held["booking"], held["number"], held["seat"]) == (booking.reference, 2, "A2")
    (received,) = mine["ticket_transfers"]
    assert received["given"] is False and received["to_email"] == ana.email
    assert export_of(bruno)["ticket_transfers"][0]["to_email"] == "a***@example.org"

    response = delete(ana)
    assert response.status_code == 409
    assert response.json()["error"]["details"]["tickets"] == [f"{booking.reference}-2"]
    into_the_past(reserved_slot)
    assert delete(ana).status_code == 204
    # The hand-over keeps the placeholder, not the address it went to.
    transfer = TicketTransfer.objects.get(to_user=ana)
    assert transfer.to_email == privacy.placeholder_email(ana)
    assert Ticket.objects.get(booking=booking, number=2).holder_id == ana.pk


def _strict(schema: dict, node):
    """An OpenAPI 3.0 schema node as JSON Schema: `$ref`s inlined, `nullable` as a null
    alternative, and objects closed (a key the schema does not name is an error)."""
    if isinstance(node, list):
        return [_strict(schema, item) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _strict(schema, schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]])
    out = {key: _strict(schema, value) for key, value in node.items() if key != "nullable"}
    if "properties" in out:
        out.setdefault("additionalProperties", False)
    return {"anyOf": [out, {"type": "null"}]} if node.get("nullable") else out


def test_the_export_is_what_its_schema_says_with_every_section_filled(
    ana, bruno, organizer, reserved_slot, general_slot, seat_ids, sold_out
):
    """schemathesis sees the demo customer's export, whose lists may be empty: here every
    list has rows, and the document matches the schema exactly (no key more, none less)."""
    import jsonschema

    mine = book(ana, general_slot.pk, quantity=2)
    theirs = book(bruno, general_slot.pk, quantity=2)
    bookings.ticket_transfer(
        user=ana, email="friend@example.org", base_url="http://x/", booking_id=mine.pk, number=2
    )
    bookings.ticket_transfer(
        user=bruno, email=ana.email, base_url="http://x/", booking_id=theirs.pk, number=1
    )
    bookings.hold_create(user=ana, slot_id=general_slot.pk, quantity=1)
    waitlist_join(user=ana, slot_id=reserved_slot.pk, quantity=1)
    scan(mine.tickets.get(number=1))
    job = Job.objects.create(organizer=organizer, slot=general_slot, reason="Flood")
    JobBooking.objects.create(job=job, booking=mine, notified_at=timezone.now())
    login = APIClient().post("/api/v1/auth/token/", {"email": ana.email, "password": PASSWORD})
    assert login.status_code == 200

    data = export_of(ana)
    assert all(
        data[key] for key in data if isinstance(data[key], list) and key != "team_memberships"
    )
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    operation = schema["paths"]["/api/v1/auth/me/export/"]["get"]
    shape = operation["responses"]["200"]["content"]["application/json"]["schema"]
    jsonschema.validate(data, _strict(schema, shape))
    assert [t["given_away"] for t in data["bookings"][0]["tickets"]] == [False, True]
    assert {t["given"] for t in data["ticket_transfers"]} == {True, False}


def test_the_export_reads_a_fixed_number_of_queries_however_many_bookings(ana, general_slot):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            privacy.user_export(user=ana)
        return len(captured)

    book(ana, general_slot.pk, quantity=2)
    few = queries()
    for _ in range(3):
        book(ana, general_slot.pk, quantity=3)
    assert queries() == few <= 20
