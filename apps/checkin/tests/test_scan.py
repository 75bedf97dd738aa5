"""Scanning at the door: one admission per ticket, and every refusal with its code."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.bookings import services as bookings
from apps.bookings.selectors import booking_payload
from apps.bookings.tickets import qr_text
from apps.checkin import services
from apps.checkin.models import Scan
from tests.support.booking import book
from tests.support.fixtures import client_for
from tests.support.ratelimit import assert_throttled, frozen_clock, tiers  # noqa: F401
from tests.support.showtimes import showtime

pytestmark = pytest.mark.django_db
SCAN = "/api/v1/checkin/scan/"


def scan(client, slot, code, gate="north", **extra):
    return client.post(SCAN, {"slot": slot.pk, "code": code, "gate": gate, **extra}, format="json")


@pytest.fixture
def booking(customer, door_open, seat_ids):
    return book(customer, door_open.pk, seat_ids=seat_ids[:2])


@pytest.fixture
def codes(booking):
    return [qr_text(t) for t in booking.tickets.order_by("number")]


def test_a_ticket_admits_once_and_the_second_scan_says_when_and_where(
    scanner, door_open, codes, booking
):
    client = client_for(scanner)
    first = scan(client, door_open, codes[0], gate="north")
    assert first.status_code == 200, first.json()
    body = first.json()
    assert body["result"] == "admitted"
    assert body["ticket"]["booking_reference"] == booking.reference
    assert body["ticket"]["seat_label"] and body["ticket"]["category"] == "standard"
    assert (body["checked_in"], body["expected"]) == (1, 2)

    again = scan(client, door_open, codes[0], gate="south")
    assert again.status_code == 409
    error = again.json()["error"]
    assert error["code"] == "already_checked_in"
    assert error["details"]["gate"] == "north" and error["details"]["at"]
    assert booking.tickets.get(number=1).status == "used"
    assert list(Scan.objects.values_list("result", flat=True)) == [
        "admitted",
        "already_checked_in",
    ]


def test_the_booking_detail_shows_the_status_and_the_qr_text(customer, booking, scanner, codes):
    scan(client_for(scanner), booking.slot, codes[0])
    detail = client_for(customer).get(f"/api/v1/bookings/{booking.pk}/").json()
    assert [(t["status"], t["qr"]) for t in detail["tickets"]] == [
        ("used", codes[0]),
        ("valid", codes[1]),
    ]


@pytest.mark.parametrize("code", ["VT1.AE.AAAAAAAAAAAAAAAA", "hello", "", "VT1..", "x" * 120])
def test_forged_or_unreadable_texts_are_invalid_and_recorded(scanner, door_open, code, codes):
    response = scan(client_for(scanner), door_open, code)
    if code == "":
        assert response.status_code == 400  # the field itself is required
        return
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_ticket"
    assert Scan.objects.get().result == "invalid_ticket"


def test_a_real_text_with_one_character_changed_is_forged(scanner, door_open, codes):
    forged = codes[0][:-1] + ("A" if codes[0][-1] != "A" else "B")
    assert scan(client_for(scanner), door_open, forged).json()["error"]["code"] == "invalid_ticket"


def test_a_ticket_of_another_showtime_is_refused(scanner, customer, event, screen, codes):
    other = showtime(event, screen, starts_in=timedelta(days=3))
    services.checkin_window_set(slot=other, opens_at=timezone.now(), closes_at=None)
    response = scan(client_for(scanner), other, codes[0])
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "wrong_showtime"


def test_a_cancelled_bookings_tickets_are_cancelled_at_the_door(scanner, customer, booking, codes):
    bookings.booking_cancel(booking_id=booking.pk, user=customer)
    assert set(booking.tickets.values_list("status", flat=True)) == {"cancelled"}
    assert [t["status"] for t in booking_payload(booking, with_qr=True)["tickets"]] == [
        "cancelled",
        "cancelled",
    ]
    response = scan(client_for(scanner), booking.slot, codes[1])
    assert response.json()["error"]["code"] == "ticket_cancelled"


def test_outside_the_window_the_door_is_closed(scanner, customer, reserved_slot, seat_ids):
    booking = book(customer, reserved_slot.pk, seat_ids=seat_ids[:1])
    # Default window: from two hours before tomorrow's start.
    response = scan(client_for(scanner), reserved_slot, qr_text(booking.tickets.get()))
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "checkin_closed"
    assert (
        error["details"]["opens_at"] == (reserved_slot.starts_at - timedelta(hours=2)).isoformat()
    )


def test_exit_scans_need_reentry_and_let_the_ticket_in_again(scanner, organizer, door_open, codes):
    client = client_for(scanner)
    assert scan(client, door_open, codes[0]).status_code == 200
    out = scan(client, door_open, codes[0], direction="out")
    assert out.json()["error"]["code"] == "reentry_not_allowed"

    rules = client_for(organizer).patch(
        f"/api/v1/events/{door_open.event_id}/checkin/", {"reentry": True}, format="json"
    )
    assert rules.status_code == 200 and rules.json() == {"reentry": True}
    assert scan(client, door_open, codes[0], direction="out").json()["result"] == "exited"
    assert scan(client, door_open, codes[0], direction="out").json()["error"]["code"] == (
        "not_checked_in"
    )
    assert scan(client, door_open, codes[0]).json()["result"] == "admitted"


def test_a_typed_reference_admits_the_bookings_tickets_one_by_one(scanner, door_open, booking):
    client = client_for(scanner)
    first = scan(client, door_open, booking.reference.lower())
    second = scan(client, door_open, booking.reference)
    third = scan(client, door_open, booking.reference)
    assert [first.json()["ticket"]["number"], second.json()["ticket"]["number"]] == [1, 2]
    assert third.json()["error"]["code"] == "already_checked_in"
    assert scan(client, door_open, f"{booking.reference}-2").status_code == 409


def test_the_figures_count_expected_and_inside(scanner, door_open, codes):
    client = client_for(scanner)
    scan(client, door_open, codes[1])
    figures = client.get(f"/api/v1/slots/{door_open.pk}/checkin/").json()
    assert (figures["expected"], figures["checked_in"], figures["reentry"]) == (2, 1, False)
    assert figures["double_entries"] == 0


def test_the_window_is_set_by_the_organizer_and_checked(organizer, door_open):
    client = client_for(organizer)
    url = f"/api/v1/slots/{door_open.pk}/checkin/"
    start = door_open.starts_at
    bad = client.patch(url, {"opens_at": start, "closes_at": start - timedelta(hours=1)})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_window"
    reset = client.patch(url, {"opens_at": None, "closes_at": None}, format="json")
    assert reset.status_code == 200
    assert reset.json()["opens_at"] == (start - timedelta(hours=2)).isoformat().replace(
        "+00:00", "Z"
    )


def test_the_offline_list_has_what_the_door_needs_and_no_personal_data(
    scanner, door_open, booking, codes, customer
):
    from apps.checkin.selectors import qr_key

    body = client_for(scanner).get(f"/api/v1/slots/{door_open.pk}/checkin/list/")
    assert body.status_code == 200
    text = body.content.decode()
    assert customer.email not in text and customer.full_name not in text
    assert codes[0] not in text  # the texts themselves never leave the server
    tickets = body.json()["tickets"]
    assert [t["key"] for t in tickets] == [qr_key(code) for code in codes]
    assert {t["booking_reference"] for t in tickets} == {booking.reference}


@pytest.mark.usefixtures("frozen_clock")
@tiers(door="3/m", write="1/m", **{"global": "1/m"})
def test_scans_count_against_the_door_tier_not_the_ip_or_write_tiers(scanner, door_open, codes):
    """Gates share the venue's address and an account: scans have their own tier."""
    client = client_for(scanner)
    answers = [scan(client, door_open, codes[0], gate=f"g{n}").status_code for n in range(3)]
    assert answers == [200, 409, 409]
    assert_throttled(scan(client, door_open, codes[1]))
