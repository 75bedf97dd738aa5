# ruff: noqa: E501  (the manage.py shell snippets read best on one line each)
"""Giving a ticket away in a real browser: the buyer gives one ticket from the booking
page, the friend finds it under "Tickets given to you" with its QR code and downloads
it as a PDF; axe on both pages."""

import io
import secrets
from pathlib import Path

from playwright.sync_api import expect
from pypdf import PdfReader

from tests.support.demo import DEMO_EMAIL, DEMO_PASSWORD, ORGANIZER_EMAIL

from .conftest import assert_accessible, login, screenshot


def test_give_a_ticket_and_the_friend_has_it(new_page, site):
    suffix = secrets.token_hex(3)
    friend = f"friend-{suffix}@example.org"
    ids = site.shell(
        "from datetime import timedelta\n"
        "from django.utils import timezone\n"
        "from apps.accounts.models import User\n"
        "from apps.accounts.services import user_register\n"
        "from apps.catalog import services as catalog\n"
        "from apps.catalog.models import EventStatus, EventType\n"
        "from apps.scheduling.services import slot_create\n"
        "from tests.support.booking import book\n"
        f"user_register(email={friend!r}, password={DEMO_PASSWORD!r}, full_name='A Friend')\n"
        f"org = User.objects.get(email={ORGANIZER_EMAIL!r})\n"
        f"venue = catalog.venue_create(organizer=org, name='Gift Hall {suffix}', city='Porto')\n"
        "screen = catalog.screen_create(venue=venue, name='Room')\n"
        "screen = catalog.screen_layout_replace(screen=screen, rows=[{'name': 'B', 'seats': [{'number': n, 'category': 'standard'} for n in range(1, 4)]}])\n"
        f"event = catalog.event_create(organizer=org, type=EventType.CONCERT, title='Gift Night {suffix}', city='Porto', status=EventStatus.PUBLISHED)\n"
        "start = timezone.now() + timedelta(days=20)\n"
        "slot = slot_create(event=event, screen=screen, seating='reserved', starts_at=start, ends_at=start + timedelta(hours=2), prices={'standard': '15.00'})\n"
        "seats = list(screen.seats.filter(label__in=['B1', 'B2']).values_list('id', flat=True))\n"
        f"booking = book(User.objects.get(email={DEMO_EMAIL!r}), slot.pk, seat_ids=seats)\n"
        "print(booking.pk, booking.reference)"
    )
    booking_id, reference = ids.split()

    buyer = new_page()
    login(buyer, DEMO_EMAIL, next_path=f"/bookings/{booking_id}/")
    first = buyer.locator("[data-transfer-form]").first
    first.get_by_label("Give this ticket to someone").fill(friend)
    first.get_by_role("button", name="Give ticket 1").click()
    expect(buyer.locator(".messages")).to_contain_text("Ticket 1 was given to f***@example.org")
    expect(buyer.locator("[data-transferred]")).to_have_text("Transferred to f***@example.org")
    expect(buyer.locator("[data-transfer-form]")).to_have_count(1)  # ticket 2 only
    assert_accessible(buyer)
    screenshot(buyer, "53-ticket-given")

    holder = new_page()
    login(holder, friend, next_path="/bookings/")
    given = holder.locator("[data-given-ticket]")
    expect(given).to_have_count(1)
    expect(given).to_contain_text(f"{reference}-1")
    expect(given.get_by_role("img")).to_be_visible()
    assert_accessible(holder)
    with holder.expect_download() as download:
        given.get_by_role("link", name="Download this ticket (PDF)").click()
    assert download.value.suggested_filename == f"venue-{reference}-1.pdf"
    (page,) = PdfReader(io.BytesIO(Path(download.value.path()).read_bytes())).pages
    text = " ".join(page.extract_text().split())
    assert "Seat B1" in text and reference in text and "TRANSFERRED" not in text
    # Both were told by email.
    assert any(reference in body for body in site.mail(friend))
