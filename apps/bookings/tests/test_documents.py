"""A booking's documents: the tickets PDF and the .ics file, their downloads and the email.

The venue is moved to New York (the fixtures' is in Lisbon) so that a local time in the
documents that was really UTC, or Lisbon's, shows."""

import io
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar
from PIL import Image
from pypdf import PdfReader

from apps.bookings import documents, services
from apps.bookings.models import Booking
from apps.bookings.tickets import qr_png, qr_text
from apps.catalog.models import Venue
from apps.scheduling.models import Slot
from tests.support.booking import book
from tests.support.fixtures import client_for

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def new_york(venue):
    Venue.objects.filter(pk=venue.pk).update(
        timezone="America/New_York", address="1 Main St", city="New York"
    )
    return venue


@pytest.fixture
def evening_slot(new_york, reserved_slot):
    """The reserved showtime moved to 20:30 in New York, four days on: 00:30 or 01:30 UTC
    the next day, so the UTC hour and date both differ from the local ones."""
    day = timezone.localdate() + timedelta(days=4)
    starts = datetime.combine(day, time(20, 30), tzinfo=NEW_YORK)
    Slot.objects.filter(pk=reserved_slot.pk).update(
        starts_at=starts, ends_at=starts + timedelta(hours=2)
    )
    return Slot.objects.get(pk=reserved_slot.pk)


@pytest.fixture
def booking(customer, evening_slot, seat_ids) -> Booking:
    """Two seats of the New York showtime (A1 and A2)."""
    return book(customer, evening_slot.pk, seat_ids=seat_ids[:2])


def pages(pdf: bytes) -> list[str]:
    """Each page's text, its whitespace made single spaces (lines may wrap anywhere)."""
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def ics_event(body: bytes):
    (event,) = Calendar.from_ical(body).walk("VEVENT")
    return event


def local(slot: Slot) -> datetime:
    return timezone.localtime(slot.starts_at, NEW_YORK)


def test_the_pdf_has_a_page_per_ticket_in_the_venues_time(booking, evening_slot):
    tickets = list(booking.tickets.select_related("seat").order_by("number"))
    text = pages(documents.tickets_pdf(booking))
    assert len(text) == 2
    when = local(evening_slot)
    utc = timezone.localtime(evening_slot.starts_at, ZoneInfo("UTC"))
    assert (when.hour, when.minute) == (20, 30) and utc.hour != 20
    for page, ticket in zip(text, tickets, strict=True):
        assert "Night Train" in page
        assert f"{when:%A} {when.day} {when:%B %Y}, 20:30 (America/New_York)" in page
        assert f"{utc:%H:%M}" not in page
        assert "Riverside, 1 Main St, New York" in page
        assert f"Seat {ticket.seat.label} (standard)" in page
        assert f"{booking.reference} (ticket {booking.reference}-{ticket.number})" in page
        assert f"Ticket {ticket.number} of 2" in page
        assert qr_text(ticket) in page
    assert [t.seat.label for t in tickets] == ["A1", "A2"]
    assert "Seat A1" in text[0] and "Seat A2" not in text[0]


def test_each_page_carries_its_own_tickets_qr_code(booking):
    reader = PdfReader(io.BytesIO(documents.tickets_pdf(booking)))
    for page, ticket in zip(reader.pages, booking.tickets.order_by("number"), strict=True):
        (image,) = page.images
        drawn = image.image.convert("L")
        expected = Image.open(io.BytesIO(qr_png(qr_text(ticket)))).convert("L")
        assert drawn.size == expected.size and drawn.tobytes() == expected.tobytes()


def test_general_admission_tickets(customer, general_slot):
    booking = book(customer, general_slot.pk, quantity=3)
    text = pages(documents.tickets_pdf(booking))
    assert len(text) == 3
    assert all("General admission" in page and booking.reference in page for page in text)
    assert all("Seat " not in page for page in text)
    event = ics_event(documents.booking_ics(booking))
    assert "General admission: 3 ticket(s)" in str(event["DESCRIPTION"])


def test_cancelled_tickets_say_so_and_have_no_qr_code(customer, booking):
    services.booking_cancel(user=customer, booking_id=booking.pk)
    booking.refresh_from_db()
    reader = PdfReader(io.BytesIO(documents.tickets_pdf(booking)))
    assert len(reader.pages) == 2
    for page, ticket in zip(reader.pages, booking.tickets.all(), strict=True):
        text = page.extract_text()
        assert "CANCELLED" in text and booking.reference in text
        assert len(page.images) == 0 and qr_text(ticket) not in text
    event = ics_event(documents.booking_ics(booking))
    assert str(event["STATUS"]) == "CANCELLED" and event["SEQUENCE"] == 1


def test_text_outside_the_core_fonts_is_drawn_without_failing(booking):
    booking.slot.event.title = "Zoë “Ősz” – 東京"
    text = pages(documents.tickets_pdf(booking))
    assert "Zoë “Osz” – ??" in text[0]


def test_the_ics_file_parses_back(booking, evening_slot):
    event = ics_event(documents.booking_ics(booking, url="https://venue.test/bookings/7/"))
    start = event.decoded("DTSTART")
    assert start.tzinfo is not None and start == evening_slot.starts_at
    assert event.decoded("DTEND") == evening_slot.ends_at
    assert str(event["SUMMARY"]) == "Night Train"
    assert str(event["UID"]) == f"booking-{booking.reference}@venue"
    assert str(event["LOCATION"]) == "Riverside, 1 Main St, New York"
    description = str(event["DESCRIPTION"])
    assert f"Booking {booking.reference}" in description and "Seats: A1, A2" in description
    assert "20:30 (America/New_York)" in description
    assert str(event["URL"]) == "https://venue.test/bookings/7/"
    assert str(event["STATUS"]) == "CONFIRMED"
    # The same booking, the same file (a second import updates the first).
    assert documents.booking_ics(booking) == documents.booking_ics(booking)


API = "/api/v1/bookings/{}/{}"


@pytest.mark.parametrize(
    ("name", "content_type", "extension"),
    [("tickets.pdf", "application/pdf", "pdf"), ("calendar.ics", "text/calendar", "ics")],
)
def test_api_downloads_are_the_owners(
    booking, customer_client, people, anon_client, name, content_type, extension
):
    path = API.format(booking.pk, name)
    response = customer_client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == content_type
    assert response["Content-Disposition"] == (
        f'attachment; filename="venue-{booking.reference}.{extension}"'
    )
    assert "no-store" in response["Cache-Control"]
    assert booking.reference.encode() in (
        response.content if extension == "ics" else "".join(pages(response.content)).encode()
    )
    (stranger,) = people(1)
    refused = client_for(stranger).get(path, HTTP_ACCEPT=content_type)
    assert refused.status_code == 404 and refused["Content-Type"] == "application/json"
    assert refused.json()["error"]["code"] == "booking_not_found"
    assert customer_client.get(API.format(999999, name)).status_code == 404
    assert anon_client.get(path).status_code == 401


def test_the_api_calendar_links_to_the_booking_page(booking, customer_client):
    response = customer_client.get(API.format(booking.pk, "calendar.ics"))
    event = ics_event(response.content)
    assert str(event["URL"]) == f"http://testserver/bookings/{booking.pk}/"


def test_the_pdf_download_reads_few_rows(
    customer, customer_client, evening_slot, seat_ids, django_assert_max_num_queries
):
    booking = book(customer, evening_slot.pk, seat_ids=seat_ids[:6])
    with django_assert_max_num_queries(2):  # the booking with its showtime; the tickets
        response = customer_client.get(API.format(booking.pk, "tickets.pdf"))
    assert len(pages(response.content)) == 6


def test_site_downloads_are_the_owners(client, booking, customer, people):
    pdf, ics = f"/bookings/{booking.pk}/tickets.pdf", f"/bookings/{booking.pk}/calendar.ics"
    anonymous = client.get(pdf)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/?next=")
    assert client.get(ics).status_code == 302
    client.force_login(customer)
    page = client.get(f"/bookings/{booking.pk}/").content.decode()
    assert f'href="{pdf}"' in page and "Download tickets (PDF)" in page
    assert f'href="{ics}"' in page and "Add to calendar (.ics)" in page
    response = client.get(pdf)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert len(pages(response.content)) == 2
    response = client.get(ics)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert ics_event(response.content).decoded("DTSTART") == booking.slot.starts_at
    client.force_login(people(1)[0])
    assert client.get(pdf).status_code == 404 and client.get(ics).status_code == 404


def test_the_booking_page_offers_no_downloads_once_cancelled(client, booking, customer):
    services.booking_cancel(user=customer, booking_id=booking.pk)
    client.force_login(customer)
    page = client.get(f"/bookings/{booking.pk}/").content.decode()
    assert "Download tickets" not in page and "Add to calendar" not in page


def test_the_confirmation_email_attaches_the_pdf_and_the_ics(
    customer, evening_slot, seat_ids, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(customer, evening_slot.pk, seat_ids=seat_ids[:2])
    (message,) = mail.outbox
    mime = message.message()
    # mixed(related(alternative(text, html), inline QR images), PDF, .ics)
    assert mime.get_content_type() == "multipart/mixed"
    body, *files = mime.get_payload()
    assert body.get_content_type() == "multipart/related"
    alternative, *images = body.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.get_payload()] == ["text/plain", "text/html"]
    assert sorted(image["Content-ID"] for image in images) == [
        f"<ticket-{booking.reference}-{n}>" for n in (1, 2)
    ]
    assert all(image.get_content_type() == "image/png" for image in images)
    assert [(f.get_content_type(), f.get_filename()) for f in files] == [
        ("application/pdf", f"venue-{booking.reference}.pdf"),
        ("text/calendar", f"venue-{booking.reference}.ics"),
    ]
    assert all(f.get_content_disposition() == "attachment" for f in files)
    pdf, ics = (f.get_payload(decode=True) for f in files)
    text = pages(pdf)
    assert len(text) == 2 and "Seat A1" in text[0] and booking.reference in text[1]
    assert ics_event(ics).decoded("DTSTART") == evening_slot.starts_at
    html = message.alternatives[0][0]
    for name in (f"venue-{booking.reference}.pdf", f"venue-{booking.reference}.ics"):
        assert name in message.body and name in html


def test_a_long_title_and_address_still_fit_the_page(booking):
    """Text, QR code and its text stay inside the page (auto page breaks are off)."""
    booking.slot.event.title = " ".join(["Extraordinarily"] * 12)[:200]
    booking.slot.screen.venue.address = "Building 7, " * 20
    reader = PdfReader(io.BytesIO(documents.tickets_pdf(booking)))
    assert len(reader.pages) == 2
    lowest = []
    reader.pages[0].extract_text(
        visitor_text=lambda text, cm, tm, font, size: text.strip() and lowest.append(tm[5])
    )
    # PDF y grows upwards from the bottom edge: the last line stays above the margin.
    assert min(lowest) > 12 / 25.4 * 72
    assert qr_text(booking.tickets.order_by("number")[0]) in reader.pages[0].extract_text()


def test_a_ticket_given_away_is_not_printed_with_its_qr_code(booking, people):
    from apps.bookings.models import Ticket

    first = booking.tickets.get(number=1)
    Ticket.objects.filter(pk=first.pk).update(holder=people(1)[0])
    reader = PdfReader(io.BytesIO(documents.tickets_pdf(booking)))
    given, kept = (page.extract_text() for page in reader.pages)
    assert "TRANSFERRED" in given and qr_text(first) not in given
    assert len(reader.pages[0].images) == 0 and len(reader.pages[1].images) == 1
    assert "TRANSFERRED" not in kept


def test_the_holder_of_a_given_ticket_downloads_it_with_its_new_qr_code(
    client, booking, customer, people, django_capture_on_commit_callbacks
):
    from apps.bookings import services

    friend, stranger = people(2, prefix="holder")
    first = booking.tickets.get(number=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_transfer(
            user=customer, ticket_id=first.pk, email=friend.email, base_url="http://testserver/"
        )
    first.refresh_from_db()
    url = f"/tickets/{first.pk}/ticket.pdf"
    client.force_login(friend)
    assert f'href="{url}"' in client.get("/bookings/").content.decode()
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert f"venue-{booking.reference}-1.pdf" in response["Content-Disposition"]
    (page,) = pages(response.content)
    assert qr_text(first) in page and "TRANSFERRED" not in page
    # Its buyer's PDF no longer carries it; nobody else may download it.
    client.force_login(customer)
    assert client.get(url).status_code == 404
    buyer = pages(client.get(f"/bookings/{booking.pk}/tickets.pdf").content)
    assert "TRANSFERRED" in buyer[0] and qr_text(first) not in buyer[0]
    client.force_login(stranger)
    assert client.get(url).status_code == 404
