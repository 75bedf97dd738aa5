# ruff: noqa: E501  (the manage.py shell snippets read best on one line each)
"""Ticket types, a promo code, fees and tax in a real browser: one adult and one child
seat, a code, the breakdown at the checkout; the booking page and the confirmation
email show the same numbers."""

import random
import secrets

from playwright.sync_api import expect

from tests.support.demo import ORGANIZER_EMAIL

from .conftest import assert_accessible, login, screenshot
from .test_customer import wait_seatmap

# Adult 10.00 and child 6.00 standard seats; FAMILY takes 10% (1.00 and 0.60); a fee of
# 1.00 a ticket; 10% tax included in 16.40: 1.49. The tickets cost 10.00 and 6.40.
BREAKDOWN = {
    "subtotal": "16.00",
    "discount": "−1.60",
    "fees": "2.00",
    "tax": "(1.49)",
    "total": "16.40",
}


def test_adult_and_child_with_a_code_fees_and_tax(new_page, site):
    title = f"Family Matinee {secrets.token_hex(3)}"
    days = random.randint(30, 300)  # clear of the demo's and other tests' showtimes
    out = site.shell(
        "from datetime import timedelta\n"
        "from decimal import Decimal\n"
        "from django.utils import timezone\n"
        "from apps.accounts.models import User\n"
        "from apps.bookings.services import promo_code_create\n"
        "from apps.catalog import services as catalog\n"
        "from apps.catalog.models import EventStatus, EventType, Screen\n"
        "from apps.scheduling.services import slot_create, ticket_types_set\n"
        "from tests.support.demo import fresh_customer\n"
        f"org = User.objects.get(email={ORGANIZER_EMAIL!r})\n"
        f"event = catalog.event_create(organizer=org, type=EventType.PLAY, title={title!r}, city='Lisbon', status=EventStatus.PUBLISHED, booking_fee_per_ticket=Decimal('1.00'), tax_rate=Decimal('10'), prices_include_tax=True)\n"
        "ticket_types_set(event=event, types=[{'code': 'adult', 'name': 'Adult'}, {'code': 'child', 'name': 'Child', 'prices': {'standard': '6.00', 'premium': '9.00'}}])\n"
        "screen = Screen.objects.get(name='Studio')\n"
        f"start = (timezone.now() + timedelta(days={days})).replace(hour=11, minute=0, second=0, microsecond=0)\n"
        "slot = slot_create(event=event, screen=screen, seating='reserved', starts_at=start, ends_at=start + timedelta(hours=2), prices={'standard': '10.00', 'premium': '16.00'})\n"
        "promo_code_create(event=event, code='FAMILY', kind='percent', amount=Decimal('10'))\n"
        "seats = list(screen.seats.filter(category='standard').order_by('id').values_list('id', 'label')[:2])\n"
        "print(slot.pk, fresh_customer('family').email, *(f'{pk}:{label}' for pk, label in seats))"
    )
    slot_id, email, *seats = out.split()
    (adult_id, adult_label), (child_id, child_label) = (s.split(":") for s in seats)

    page = new_page()
    login(page, email, next_path=f"/slots/{slot_id}/")
    wait_seatmap(page)
    expect(page.locator("[data-ticket-types]")).to_contain_text(
        "Child (premium 9.00, standard 6.00)"
    )
    page.locator(f'button.seat[data-seat-id="{adult_id}"]').click()
    page.locator(f'button.seat[data-seat-id="{child_id}"]').click()
    chooser = page.locator(f'select[data-seat-type="{child_id}"]')
    expect(chooser).to_have_value("adult")  # the first type unless the customer says so
    chooser.select_option("child")
    expect(page.locator("#selection-summary")).to_contain_text(
        f"{adult_label} (Adult), {child_label} (Child) · total 16.00"
    )
    assert_accessible(page)
    screenshot(page, "50-ticket-types-picked")
    page.get_by_role("button", name="Hold seats").click()
    expect(page.get_by_role("heading", name="Your hold")).to_be_visible()
    expect(page.locator("#checkout")).to_contain_text(
        f"{adult_label} (Adult), {child_label} (Child)"
    )

    page.get_by_label("Promo code").fill("family")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".messages")).to_contain_text("Code FAMILY applied: 1.60 off.")
    checkout = page.locator("#checkout .breakdown")
    for name, value in BREAKDOWN.items():
        expect(checkout.locator(f"[data-{name}]")).to_have_text(value)
    assert_accessible(page)
    screenshot(page, "51-checkout-breakdown")

    page.get_by_label("Card").select_option("ok")
    page.get_by_role("button", name="Pay and book").click()
    page.wait_for_url("**/bookings/*/")
    booked = page.locator(".breakdown")
    for name, value in BREAKDOWN.items():
        expect(booked.locator(f"[data-{name}]")).to_have_text(value)
    expect(page.locator("[data-ticket-type]")).to_have_text(["Adult", "Child"])
    expect(page.locator("[data-ticket-price]")).to_have_text(["10.00", "6.40"])
    assert_accessible(page)
    screenshot(page, "52-booking-types-breakdown")

    (mail,) = [body for body in site.mail(email) if "is confirmed" in body]
    for line in (
        f"Tickets: {adult_label}, Adult: 10.00; {child_label}, Child: 6.40",
        "Total: 16.40",
        "Tickets 16.00, discount (FAMILY) -1.60",
        "Booking fees 2.00",
        "Tax included 1.49",
    ):
        assert line in mail, (line, mail)
