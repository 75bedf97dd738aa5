# ruff: noqa: E501  (the manage.py shell snippets read best on one line each)
"""The booking page's documents in a real browser: the customer downloads the tickets PDF
and the .ics file by their links and reads them back (pypdf, icalendar)."""

import io
import secrets
from datetime import datetime
from pathlib import Path

from icalendar import Calendar
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.support.demo import DEMO_EMAIL, ORGANIZER_EMAIL

from .conftest import assert_accessible, login, screenshot


def test_customer_downloads_tickets_and_calendar_file(new_page, site):
    suffix = secrets.token_hex(3)
    title = f"Docs Night {suffix}"
    ids = site.shell(
        "from datetime import datetime, time, timedelta\n"
        "from zoneinfo import ZoneInfo\n"
        "from django.utils import timezone\n"
        "from apps.accounts.models import User\n"
        "from apps.catalog import services as catalog\n"
        "from apps.catalog.models import EventStatus, EventType\n"
        "from apps.scheduling.services import slot_create\n"
        "from tests.support.booking import book\n"
        f"org = User.objects.get(email={ORGANIZER_EMAIL!r})\n"
        f"venue = catalog.venue_create(organizer=org, name='Hudson Hall {suffix}', address='10 River St', city='New York', timezone='America/New_York')\n"
        "screen = catalog.screen_create(venue=venue, name='Room')\n"
        "screen = catalog.screen_layout_replace(screen=screen, rows=[{'name': 'A', 'seats': [{'number': n, 'category': 'standard'} for n in range(1, 5)]}])\n"
        f"event = catalog.event_create(organizer=org, type=EventType.CONCERT, title={title!r}, city='New York', status=EventStatus.PUBLISHED)\n"
        "start = datetime.combine(timezone.localdate() + timedelta(days=33), time(20), tzinfo=ZoneInfo('America/New_York'))\n"
        "slot = slot_create(event=event, screen=screen, seating='reserved', starts_at=start, ends_at=start + timedelta(hours=2), prices={'standard': '12.00'})\n"
        "seats = list(screen.seats.filter(label__in=['A2', 'A3']).values_list('id', flat=True))\n"
        f"booking = book(User.objects.get(email={DEMO_EMAIL!r}), slot.pk, seat_ids=seats)\n"
        "print(booking.pk, booking.reference, slot.starts_at.isoformat())"
    )
    booking_id, reference, starts = ids.split()

    page = new_page()
    login(page, DEMO_EMAIL, next_path=f"/bookings/{booking_id}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
    assert_accessible(page)
    screenshot(page, "50-booking-downloads")

    with page.expect_download() as pdf_download:
        page.get_by_role("link", name="Download tickets (PDF)").click()
    pdf = pdf_download.value
    assert pdf.suggested_filename == f"venue-{reference}.pdf"
    reader = PdfReader(io.BytesIO(Path(pdf.path()).read_bytes()))
    texts = [" ".join(p.extract_text().split()) for p in reader.pages]
    assert len(texts) == 2
    assert "Seat A2" in texts[0] and "Seat A3" in texts[1]
    assert all(reference in t and title in t for t in texts)
    assert all("20:00 (America/New_York)" in t and "10 River St" in t for t in texts)

    with page.expect_download() as ics_download:
        page.get_by_role("link", name="Add to calendar (.ics)").click()
    ics = ics_download.value
    assert ics.suggested_filename == f"venue-{reference}.ics"
    (event,) = Calendar.from_ical(Path(ics.path()).read_bytes()).walk("VEVENT")
    assert str(event["SUMMARY"]) == title
    assert event.decoded("DTSTART") == datetime.fromisoformat(starts)
    assert "10 River St" in str(event["LOCATION"])
    assert reference in str(event["DESCRIPTION"]) and "A2, A3" in str(event["DESCRIPTION"])
    assert str(event["URL"]) == site.url(f"/bookings/{booking_id}/")
    # The confirmation email said both files are attached.
    assert any(f"venue-{reference}.pdf" in body for body in site.mail(DEMO_EMAIL))
    # Downloading left the page where it was, still without errors.
    expect(page.get_by_role("heading", level=1)).to_contain_text(reference)
