"""The portal's attendance page of a showtime and its CSV: who may see them, the door's
figures and conflicts, arrivals per 10 minutes in the venue's zone, and a bounded
number of queries however many tickets there are."""

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.accounts.models import TeamMember, TeamRole
from apps.bookings import services as bookings
from apps.bookings.tickets import qr_text
from apps.catalog.models import Venue
from apps.checkin import services as checkin
from apps.checkin.models import Scan
from apps.organizer.attendance_selectors import arrivals_by_bucket, arrivals_chart
from tests.support.booking import book
from tests.support.fixtures import *  # noqa: F403
from tests.support.fixtures import make_user
from tests.support.showtimes import *  # noqa: F403
from tests.support.showtimes import showtime

pytestmark = pytest.mark.django_db


def page_url(slot) -> str:
    return f"/organizer/slots/{slot.pk}/attendance/"


def csv_url(slot) -> str:
    return f"/organizer/slots/{slot.pk}/attendance.csv"


def member(organizer, email: str, role: str):
    user = make_user(email, "customer")
    TeamMember.objects.create(organizer=organizer, user=user, role=role)
    return user


@pytest.fixture
def door_open(reserved_slot):
    """The door of the reserved showtime (it starts tomorrow) open since an hour ago."""
    checkin.checkin_window_set(
        slot=reserved_slot, opens_at=timezone.now() - timedelta(hours=1), closes_at=None
    )
    return reserved_slot


@pytest.fixture
def scanner(organizer):
    return member(organizer, "scanner@example.org", TeamRole.SCANNER)


@pytest.fixture
def booking(customer, door_open, seat_ids):
    return book(customer, door_open.pk, seat_ids=seat_ids[:3])


def rows_of(response) -> list[list[str]]:
    assert response.streaming
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def offline(ref: str, code: str, at: datetime) -> dict:
    return {"ref": ref, "code": code, "scanned_at": at}


# --- who may see it


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("organizer", 200),
        ("manager", 200),
        ("admin_user", 200),
        ("scanner", 403),
        ("customer", 403),
        ("other_organizer", 404),
    ],
)
def test_the_organizer_and_its_managers_only(client, request, organizer, door_open, who, status):
    if who == "manager":
        user = member(organizer, "manager@example.org", TeamRole.MANAGER)
    else:
        user = request.getfixturevalue(who)
    client.force_login(user)
    assert client.get(page_url(door_open)).status_code == status
    assert client.get(csv_url(door_open)).status_code == status


def test_anonymous_visitors_log_in_first(client, door_open):
    response = client.get(page_url(door_open))
    assert response.status_code == 302 and response["Location"].startswith("/login/?next=")
    assert client.get(csv_url(door_open)).status_code == 302


def test_dashboard_and_bookings_page_link_to_it(client, organizer, door_open):
    client.force_login(organizer)
    assert page_url(door_open) in client.get("/organizer/").content.decode()
    bookings_page = client.get(f"/organizer/slots/{door_open.pk}/bookings/").content.decode()
    assert page_url(door_open) in bookings_page


# --- the figures and the conflicts


def test_figures_and_double_entries_are_shown(client, organizer, scanner, booking):
    slot = booking.slot
    Venue.objects.filter(pk=slot.screen.venue_id).update(timezone="Asia/Tokyo")
    first, second, _third = booking.tickets.select_related("seat").order_by("number")
    checkin.ticket_scan(staff=scanner, slot=slot, code=qr_text(first), gate="north")
    east_at = timezone.now() - timedelta(minutes=20)
    west_at = timezone.now() - timedelta(minutes=12)
    checkin.scans_upload(
        staff=scanner, slot=slot, gate="east", scans=[offline("e1", qr_text(second), east_at)]
    )
    checkin.scans_upload(
        staff=scanner, slot=slot, gate="west", scans=[offline("w1", qr_text(second), west_at)]
    )
    client.force_login(organizer)
    page = client.get(page_url(slot)).content.decode()

    assert "<strong data-checked-in>2</strong>" in page
    assert "<strong data-expected>3</strong>" in page and "<span data-percent>67</span>" in page
    assert 'max="3" value="2"' in page
    assert f'data-figures-url="/api/v1/slots/{slot.pk}/checkin/"' in page
    assert f'data-socket-path="/ws/checkin/{slot.pk}/"' in page
    assert 'data-double-entries="1"' in page
    conflicts = page.split('<table class="data" data-conflicts>')[1].split("</table>")[0]
    tokyo = slot.screen.venue.tzinfo
    assert f"{booking.reference}-2" in conflicts and second.seat.label in conflicts
    assert conflicts.index("east") < conflicts.index("west")
    assert f"{east_at.astimezone(tokyo):%H:%M:%S}" in conflicts
    assert f"{west_at.astimezone(tokyo):%H:%M:%S}" in conflicts
    assert "scanner@example.org" in conflicts
    # No inline script (CSP): the live count comes from the page's own file.
    assert '<script src="/static/js/attendance.js" defer></script>' in page
    assert "<script>" not in page


def test_nothing_yet(client, organizer, door_open):
    client.force_login(organizer)
    page = client.get(page_url(door_open)).content.decode()
    assert "<strong data-checked-in>0</strong>" in page and "No arrivals yet." in page
    assert "Double entries (0)" in page


# --- arrivals per 10 minutes, in the venue's zone


def admitted(slot, ticket, at: datetime, result=Scan.Result.ADMITTED, gate="north") -> Scan:
    return Scan.objects.create(slot=slot, ticket=ticket, gate=gate, result=result, scanned_at=at)


def test_arrivals_are_bucketed_by_the_venues_clock(client, organizer, booking):
    """Kathmandu is UTC+05:45: 10:00 UTC is 15:45 there, in the bucket 15:40-15:50,
    where a UTC bucket would have begun at 15:45."""
    slot = booking.slot
    Venue.objects.filter(pk=slot.screen.venue_id).update(timezone="Asia/Kathmandu")
    slot.screen.venue.refresh_from_db()
    one, two, three = booking.tickets.order_by("number")
    day = timezone.now().date()
    utc = datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)
    admitted(slot, one, utc)  # 15:45 local
    admitted(slot, two, utc + timedelta(minutes=4))  # 15:49
    admitted(slot, three, utc + timedelta(minutes=26))  # 16:11
    # Not arrivals: a second admission after an exit, and a double entry.
    admitted(slot, one, utc + timedelta(minutes=30))
    admitted(slot, two, utc + timedelta(minutes=31), result=Scan.Result.DOUBLE_ENTRY)

    series = arrivals_by_bucket(slot)
    assert [(f"{p['start']:%H:%M}", p["count"]) for p in series] == [
        ("15:40", 2),
        ("15:50", 0),
        ("16:00", 0),
        ("16:10", 1),
    ]
    assert all(p["start"].utcoffset() == timedelta(hours=5, minutes=45) for p in series)

    client.force_login(organizer)
    page = client.get(page_url(slot)).content.decode()
    assert 'data-start="15:40" data-count="2"' in page
    assert 'data-start="16:10" data-count="1"' in page
    assert "Arrivals per 10 minutes (3 in all)" in page
    table = page.split("data-arrivals>")[1].split("</table>")[0]
    assert "<td>15:50</td><td>2</td>" in table and "Asia/Kathmandu" in table


def test_arrivals_chart_geometry():
    start = datetime(2030, 1, 1, 19, 0, tzinfo=UTC)
    chart = arrivals_chart(
        [{"start": start, "count": 0}, {"start": start + timedelta(minutes=10), "count": 8}]
    )
    assert chart["peak"] == 8 and chart["total"] == 8 and chart["busiest"]["count"] == 8
    assert chart["bars"][0]["h"] == 0 and chart["bars"][1]["y"] == chart["top"]
    assert chart["bars"][1]["end"] == start + timedelta(minutes=20)
    assert arrivals_chart([])["bars"] == []


# --- the CSV


def test_csv_one_row_per_ticket_in_venue_time_and_formula_safe(
    client, organizer, door_open, customer, people, seat_ids
):
    slot = door_open
    Venue.objects.filter(pk=slot.screen.venue_id).update(timezone="Asia/Tokyo")
    tokyo = ZoneInfo("Asia/Tokyo")
    mine = book(customer, slot.pk, seat_ids=seat_ids[:2])
    gone = book(people(1)[0], slot.pk, seat_ids=seat_ids[2:3])
    bookings.booking_cancel(booking_id=gone.pk)
    staff = member(organizer, "+door@example.org", TeamRole.SCANNER)
    first, second = mine.tickets.select_related("seat").order_by("number")
    outcome = checkin.ticket_scan(staff=staff, slot=slot, code=qr_text(first), gate="=SUM(A1)")
    east_at = timezone.now() - timedelta(minutes=20)
    for gate, at in (("east", east_at), ("@west", east_at + timedelta(minutes=1))):
        checkin.scans_upload(
            staff=staff, slot=slot, gate=gate, scans=[offline(gate, qr_text(second), at)]
        )

    client.force_login(organizer)
    response = client.get(csv_url(slot))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="showtime-{slot.pk}-attendance.csv"' in response["Content-Disposition"]
    rows = rows_of(response)
    header = "booking_reference ticket_number seat category status admitted_at gate"
    assert rows[0] == [*header.split(), "staff_email", "double_entry", "ticket_type"]
    at = outcome.scan.scanned_at.astimezone(tokyo).isoformat(sep=" ", timespec="seconds")
    assert at.endswith("+09:00")
    assert rows[1] == [
        mine.reference,
        "1",
        first.seat.label,
        "standard",
        "used",
        at,
        "'=SUM(A1)",
        "'+door@example.org",
        "no",
        "Standard",
    ]
    east = east_at.astimezone(tokyo)
    assert rows[2][:5] == [mine.reference, "2", second.seat.label, "standard", "used"]
    assert rows[2][5:] == [
        east.isoformat(sep=" ", timespec="seconds"),
        "east",
        "'+door@example.org",
        "yes",
        "Standard",
    ]
    assert len(rows) == 3  # the cancelled booking's ticket is not expected at the door


def test_csv_of_a_ticket_that_never_came(client, organizer, booking):
    client.force_login(organizer)
    rows = rows_of(client.get(csv_url(booking.slot)))
    assert len(rows) == 4
    assert rows[1][4:] == ["valid", "", "", "", "no", "Standard"]


# --- no query per ticket


def test_page_and_csv_queries_do_not_grow_with_tickets(
    client, organizer, scanner, event, screen, people
):
    slot = showtime(
        event, screen, starts_in=timedelta(hours=1), seating="general", capacity=60,
        prices={"general": "25.00"},
    )  # fmt: skip
    checkin.checkin_window_set(
        slot=slot, opens_at=timezone.now() - timedelta(hours=1), closes_at=None
    )
    buyers = people(6)
    client.force_login(organizer)

    def admit_all(booking):
        for ticket in booking.tickets.all():
            checkin.ticket_scan(staff=scanner, slot=slot, code=qr_text(ticket), gate="north")

    def double_entry(ticket, ref):
        at = timezone.now() - timedelta(minutes=5)
        for gate in ("east", "west"):
            checkin.scans_upload(
                staff=scanner,
                slot=slot,
                gate=gate,
                scans=[offline(f"{ref}-{gate}", qr_text(ticket), at)],
            )
            at += timedelta(minutes=1)

    def queries() -> tuple[int, int, int]:
        with CaptureQueriesContext(connection) as page:
            assert client.get(page_url(slot)).status_code == 200
        with CaptureQueriesContext(connection) as listing:
            rows = rows_of(client.get(csv_url(slot)))
        return len(page), len(listing), len(rows) - 1

    one = book(buyers[0], slot.pk, quantity=1)
    double_entry(one.tickets.get(), "one")
    queries()  # warm: sessions, content types
    small = queries()
    for buyer in buyers[1:]:
        booking = book(buyer, slot.pk, quantity=10)
        admit_all(booking)
    double_entry(booking.tickets.get(number=1), "late")  # an admitted ticket scanned again
    big = queries()
    assert (small[2], big[2]) == (1, 51)
    assert small[:2] == big[:2], (small, big)
