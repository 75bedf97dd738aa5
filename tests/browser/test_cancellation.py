# ruff: noqa: E501  (the manage.py shell snippets read best on one line each)
"""An organizer cancels a showtime in a real browser: the counts, the reason, the job's
progress; then the customer's booking page says cancelled and refunded."""

import secrets

from playwright.sync_api import expect

from tests.support.demo import DEMO_EMAIL, ORGANIZER_EMAIL

from .conftest import assert_accessible, login, screenshot


def test_organizer_cancels_a_showtime_and_the_customer_sees_it(new_page, site):
    title = f"Rained Off {secrets.token_hex(3)}"
    ids = site.shell(
        "from datetime import timedelta\n"
        "from django.utils import timezone\n"
        "from apps.accounts.models import User\n"
        "from apps.catalog import services as catalog\n"
        "from apps.catalog.models import EventStatus, EventType, Screen\n"
        "from apps.scheduling.services import slot_create\n"
        "from tests.support.booking import book\n"
        f"org = User.objects.get(email={ORGANIZER_EMAIL!r})\n"
        f"event = catalog.event_create(organizer=org, type=EventType.CONCERT, title={title!r}, city='Lisbon', status=EventStatus.PUBLISHED)\n"
        "screen = Screen.objects.get(name='Main Hall')\n"
        "start = timezone.now() + timedelta(days=20)\n"
        "slot = slot_create(event=event, screen=screen, seating='general', capacity=50, starts_at=start, ends_at=start + timedelta(hours=2), prices={'general': '15.00'})\n"
        f"booking = book(User.objects.get(email={DEMO_EMAIL!r}), slot.pk, quantity=2)\n"
        "print(slot.pk, booking.pk, booking.reference)"
    )
    slot_id, booking_id, reference = ids.split()

    page = new_page()
    login(page, ORGANIZER_EMAIL, next_path=f"/organizer/slots/{slot_id}/bookings/")
    page.get_by_role("link", name="Cancel this showtime").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel this showtime?")
    expect(page.locator("[data-bookings]")).to_have_text("1")
    expect(page.locator("[data-tickets]")).to_have_text("2")
    expect(page.locator("[data-refund]")).to_have_text("30.00")
    assert_accessible(page)
    screenshot(page, "40-organizer-cancel-preview")
    page.get_by_label("Reason").fill("The stage roof leaks.")
    page.get_by_role("button", name="Cancel showtime and refund everyone").click()
    expect(page.locator("[data-job-status]")).to_have_attribute("data-job-status", "done")
    expect(page.locator("[data-done]")).to_have_text("1")
    assert_accessible(page)
    screenshot(page, "41-organizer-cancel-done")

    # The showtime's money: the charge and its refund, net zero, reconciled.
    page.goto(f"/organizer/slots/{slot_id}/money/")
    expect(page.locator("[data-ledger-kind]")).to_have_count(2)
    expect(page.locator("[data-charged]")).to_have_text("30.00")
    expect(page.locator("[data-refunded]")).to_have_text("30.00")
    expect(page.locator("[data-reconciles='yes']")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "43-organizer-showtime-money")

    customer = new_page()
    login(customer, DEMO_EMAIL, next_path=f"/bookings/{booking_id}/")
    expect(customer.locator("[data-cancellation]")).to_contain_text(
        "Cancelled by the organizer (“The stage roof leaks.”)"
    )
    expect(customer.locator("[data-refund='refunded']")).to_have_text("30.00 refunded.")
    expect(customer.get_by_text(reference).first).to_be_visible()
    assert_accessible(customer)
    screenshot(customer, "42-customer-booking-cancelled")
