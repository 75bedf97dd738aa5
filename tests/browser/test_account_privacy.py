# ruff: noqa: E501  (the manage.py shell snippets read best on one line each)
"""A customer's data in a real browser: download it from the account page, be refused
deletion while a show is still to come, cancel, delete, and find the login gone."""

import json
import re
import secrets

from playwright.sync_api import expect

from tests.support.demo import DEMO_PASSWORD

from .conftest import assert_accessible, login, screenshot


def test_a_customer_downloads_their_data_then_deletes_the_account(new_page, site):
    email = f"leaving-{secrets.token_hex(3)}@example.org"
    ids = site.shell(
        "from datetime import timedelta\n"
        "from django.utils import timezone\n"
        "from apps.accounts.models import User\n"
        "from apps.accounts.services import user_register\n"
        "from apps.catalog.models import Event, Screen\n"
        "from apps.scheduling.services import slot_create\n"
        "from tests.support.booking import book\n"
        f"user = user_register(email={email!r}, password={DEMO_PASSWORD!r}, full_name='Leaving Fan')\n"
        "event = Event.objects.get(title='Harbour Lights Live')\n"
        "start = (timezone.now() + timedelta(days=41)).replace(hour=11, minute=0, second=0, microsecond=0)\n"
        "slot = slot_create(event=event, screen=Screen.objects.get(name='Main Hall'), seating='general', capacity=40, starts_at=start, ends_at=start + timedelta(hours=2), prices={'general': '12.00'})\n"
        "booking = book(user, slot.pk, quantity=1)\n"
        "print(booking.pk, booking.reference)"
    )
    booking_id, reference = ids.split()

    page = new_page()
    login(page, email, next_path="/account/")
    expect(page.get_by_role("heading", name="Your data")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "60-account-your-data")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download your data (JSON)").click()
    assert re.fullmatch(r"venue-data-\d{4}-\d{2}-\d{2}\.json", download.value.suggested_filename)
    with open(download.value.path(), encoding="utf-8") as file:
        data = json.load(file)
    assert data["account"]["email"] == email
    assert [b["reference"] for b in data["bookings"]] == [reference]

    # A show still to come: refused, with the booking named, nothing erased.
    page.get_by_label("Your password, to confirm").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Delete my account").click()
    refusal = page.locator("[data-refusal='active_bookings']")
    expect(refusal).to_contain_text(reference)
    assert_accessible(page)
    screenshot(page, "61-account-delete-refused")

    # The customer cancels first, then deletes.
    page.goto(f"/bookings/{booking_id}/cancel/")
    page.get_by_role("button", name="Cancel booking").click()
    expect(page.get_by_text(f"Booking {reference} is cancelled")).to_be_visible()
    page.goto("/account/")
    page.get_by_label("Your password, to confirm").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Delete my account").click()
    page.wait_for_url(site.url("/"))
    expect(page.get_by_text("Your account is deleted and you are logged out.")).to_be_visible()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    screenshot(page, "62-account-deleted")

    # The old login is gone.
    page.goto("/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("The email or password is not right.")).to_be_visible()
    assert any("organizers' books" in body for body in site.mail(email))
