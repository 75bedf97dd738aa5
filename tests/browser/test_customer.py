# ruff: noqa: E501  (the manage.py shell snippets read best on one line each)
"""The customer side in a real browser: browse, pick seats, hold, pay, tickets, cancel."""

import re
import time

from playwright.sync_api import expect

from tests.support.demo import DEMO_EMAIL, DEMO_PASSWORD

from .conftest import assert_accessible, login, page_weight, screenshot


def open_showtime(page, event_title: str, index: int) -> str:
    """From the home page, open the event and its `index`-th showtime; return the slot path."""
    page.goto("/")
    page.get_by_role("link", name=event_title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(event_title)
    link = page.locator("a.showtime").nth(index)
    href = link.get_attribute("href")
    link.click()
    page.wait_for_url(f"**{href}")
    return href


def wait_seatmap(page):
    expect(page.locator("#seatmap")).to_have_attribute("data-ready", "true")


def test_customer_journey(new_page):
    page = new_page()
    login(page, DEMO_EMAIL)
    page.goto("/")
    expect(page.get_by_role("heading", name="Upcoming events")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "01-home")

    page.get_by_label("Search").fill("showtime")
    page.get_by_label("Type").select_option("movie")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="The Last Showtime")).to_be_visible()
    expect(page.get_by_role("link", name="Harbour Lights Live")).to_have_count(0)

    path = open_showtime(page, "The Last Showtime", 0)
    wait_seatmap(page)
    assert_accessible(page)
    free = page.locator('button.seat[data-status="available"]')
    ids = [free.nth(20).get_attribute("data-seat-id"), free.nth(21).get_attribute("data-seat-id")]
    first, second = (page.locator(f'button.seat[data-seat-id="{i}"]') for i in ids)
    labels = [first.get_attribute("aria-label"), second.get_attribute("aria-label")]
    assert re.fullmatch(r"[A-J]\d+, (standard|premium|accessible), \d+\.\d\d", labels[0])
    first.click()
    second.click()
    expect(first).to_have_attribute("data-status", "selected")
    expect(page.locator("#selection-summary")).to_contain_text("2 seats selected")
    screenshot(page, "02-seats-selected")

    page.get_by_role("button", name="Hold seats").click()
    expect(page.get_by_role("heading", name="Your hold")).to_be_visible()
    expect(page.locator("[data-countdown]")).to_have_text(re.compile(r"^[45]:\d\d$"))
    assert_accessible(page)
    screenshot(page, "03-hold")

    page.get_by_label("Card").select_option("ok")
    page.get_by_role("button", name="Pay and book").click()
    page.wait_for_url(re.compile(r"/bookings/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Booking")
    qr = page.locator("img[src^='data:image/svg+xml']")
    expect(qr).to_have_count(2)
    reference = page.locator("h1 .reference").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{8}", reference)
    assert_accessible(page)
    screenshot(page, "04-tickets")

    page.get_by_role("link", name="Cancel booking").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cancel booking")
    assert_accessible(page)
    page.get_by_role("button", name="Cancel booking").click()
    page.wait_for_url("**/bookings/")
    expect(page.locator(".messages")).to_contain_text(f"Booking {reference} is cancelled")
    expect(page.locator("#past-title ~ ul")).to_contain_text(reference)
    assert_accessible(page)
    screenshot(page, "05-cancelled")

    # The seats are free again on the seat map.
    page.goto(path)
    wait_seatmap(page)
    for seat_id in ids:
        expect(page.locator(f'button.seat[data-seat-id="{seat_id}"]')).to_have_attribute(
            "data-status", "available"
        )


def test_phone_layout_and_page_weight(new_page):
    page = new_page(viewport={"width": 390, "height": 844})
    login(page, DEMO_EMAIL)
    open_showtime(page, "The Last Showtime", 3)
    wait_seatmap(page)
    screenshot(page, "06-phone-seatmap")
    weight = page_weight(page)
    assert 0 < weight < 200_000, weight


def test_second_browser_sees_hold_live(new_page, site):
    site.shell(
        "from apps.accounts.services import user_ensure;"
        f"user_ensure(email='rival@venue.test', password={DEMO_PASSWORD!r}, full_name='Rival')"
    )
    first, second = new_page(), new_page()
    login(first, DEMO_EMAIL)
    login(second, "rival@venue.test")
    path = open_showtime(first, "The Last Showtime", 1)
    second.goto(path)
    wait_seatmap(first)
    wait_seatmap(second)
    seat_id = (
        first.locator('button.seat[data-status="available"]').nth(5).get_attribute("data-seat-id")
    )
    seat = first.locator(f'button.seat[data-seat-id="{seat_id}"]')
    seat.click()
    with first.expect_response("**/api/v1/bookings/hold-seats/") as response:
        first.get_by_role("button", name="Hold seats").click()
    assert response.value.status == 201
    started = time.monotonic()
    other = second.locator(f'button.seat[data-seat-id="{seat_id}"]')
    expect(other).to_have_attribute("data-status", "held", timeout=1000)
    elapsed = time.monotonic() - started
    assert elapsed < 1.0
    expect(other).to_have_attribute("aria-disabled", "true")
    expect(other).to_have_attribute("aria-label", re.compile("held by someone else"))
    screenshot(second, "07-second-browser-sees-hold")

    # The rival tries the same seat anyway: a clear message, nothing held.
    second.evaluate(
        "id => document.querySelector(`button.seat[data-seat-id='${id}']`).click()", seat_id
    )
    expect(second.locator("#checkout-message")).to_contain_text("is taken")


def test_keyboard_only_seat_selection(new_page):
    page = new_page()
    login(page, DEMO_EMAIL)
    open_showtime(page, "The Last Showtime", 2)
    wait_seatmap(page)
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.classList.contains('seat')"):
            break
    else:
        raise AssertionError("Tab never reached the seat map")
    start = page.evaluate("() => document.activeElement.dataset.seatId")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    first = page.evaluate("() => document.activeElement.dataset.seatId")
    assert first != start
    page.keyboard.press("ArrowRight")
    page.keyboard.press(" ")
    second = page.evaluate("() => document.activeElement.dataset.seatId")
    for seat_id in (first, second):
        expect(page.locator(f'button.seat[data-seat-id="{seat_id}"]')).to_have_attribute(
            "data-status", "selected"
        )
    # One tab stop for the whole map (roving tabindex): Tab leaves it for each seat's
    # ticket type (the demo movie sells adult and child), then the hold button.
    assert page.locator('button.seat[tabindex="0"]').count() == 1
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.dataset.seatType") == first
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.dataset.seatType") == second
    page.keyboard.press("ArrowDown")  # the second seat: Child
    expect(page.locator("#selection-summary")).to_contain_text("(Child)")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "Hold seats"
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Your hold")).to_be_visible()
    expect(page.locator("#checkout")).to_contain_text("(Child)")
    screenshot(page, "08-keyboard-hold")


def test_general_admission_purchase(new_page, site):
    page = new_page()
    login(page, site.fresh_customer("ga-buyer"))  # the concert caps each customer at 4
    open_showtime(page, "Harbour Lights Live", 0)
    expect(page.get_by_role("heading", name="General admission")).to_be_visible()
    expect(page.locator("[data-ga-available]")).to_contain_text("places left")
    assert_accessible(page)
    page.get_by_label("Tickets").fill("3")
    page.get_by_role("button", name="Hold seats").click()
    expect(page.locator("#checkout")).to_contain_text("3 tickets")
    page.get_by_role("button", name="Pay and book").click()
    page.wait_for_url(re.compile(r"/bookings/\d+/$"))
    expect(page.locator("img[src^='data:image/svg+xml']")).to_have_count(3)
    expect(page.locator(".tickets")).to_contain_text("General admission")
    screenshot(page, "09-general-admission-tickets")


def test_payment_declined_then_paid(new_page, console):
    console.allow("402")
    page = new_page()
    login(page, DEMO_EMAIL)
    open_showtime(page, "A Midsummer Night's Dream", 1)
    wait_seatmap(page)
    seat_id = (
        page.locator('button.seat[data-status="available"]').nth(3).get_attribute("data-seat-id")
    )
    page.locator(f'button.seat[data-seat-id="{seat_id}"]').click()
    page.get_by_role("button", name="Hold seats").click()
    page.get_by_label("Card").select_option("decline")
    page.get_by_role("button", name="Pay and book").click()
    expect(page.locator("#checkout-message")).to_contain_text("declined")
    screenshot(page, "10-declined")
    page.get_by_label("Card").select_option("ok")
    page.get_by_role("button", name="Pay and book").click()
    page.wait_for_url(re.compile(r"/bookings/\d+/$"))


def test_waitlist_offer_taken(new_page, site):
    offer = site.shell(
        "from apps.accounts.models import User\n"
        "from apps.bookings.services import hold_create\n"
        "from apps.scheduling.models import Slot\n"
        "slot = Slot.objects.filter(event__title__startswith='A Midsummer').order_by('starts_at')[2]\n"
        "seats = list(slot.screen.seats.order_by('id').values_list('id', flat=True)[40:42])\n"
        f"user = User.objects.get(email={DEMO_EMAIL!r})\n"
        "hold = hold_create(user=user, slot_id=slot.pk, seat_ids=seats, kind='offer')\n"
        "print(hold.pk)"
    )
    assert offer.isdigit()
    page = new_page()
    login(page, DEMO_EMAIL, next_path="/bookings/")
    row = page.locator(f"li.hold-row:has(form[data-hold-id='{offer}'])")
    expect(row).to_contain_text("Waitlist offer")
    assert_accessible(page)
    screenshot(page, "11-waitlist-offer")
    row.get_by_role("button", name="Pay and book").click()
    page.wait_for_url(re.compile(r"/bookings/\d+/$"))
    expect(page.locator("img[src^='data:image/svg+xml']")).to_have_count(2)


def test_waitlist_join_from_sold_out_showtime(new_page, site):
    out = site.shell(
        "from datetime import timedelta\n"
        "from decimal import Decimal\n"
        "from django.utils import timezone\n"
        "from apps.accounts.services import user_ensure\n"
        "from apps.bookings.services import hold_create\n"
        "from apps.catalog.models import Event, Screen\n"
        "from apps.scheduling.services import slot_create\n"
        "from tests.support.demo import fresh_customer\n"
        "event = Event.objects.get(title='Harbour Lights Live')\n"
        "hall = Screen.objects.get(name='Main Hall')\n"
        "start = (timezone.now() + timedelta(days=40)).replace(hour=12, minute=0, second=0, microsecond=0)\n"
        "slot = slot_create(event=event, screen=hall, starts_at=start, seating='general', capacity=1,"
        " ends_at=start + timedelta(hours=1), prices={'general': Decimal('10.00')})\n"
        f"u = user_ensure(email='crowd@venue.test', password={DEMO_PASSWORD!r}, full_name='Crowd')\n"
        "hold_create(user=u, slot_id=slot.pk, quantity=1, lifetime_seconds=3600)\n"
        # Joining counts against the concert's cap of 4: a waiter of its own, not the demo's.
        "print(slot.pk, fresh_customer('waiter').email)"
    )
    slot_id, email = out.split()
    page = new_page()
    login(page, email, next_path=f"/slots/{slot_id}/")
    expect(page.get_by_role("heading", name="Sold out")).to_be_visible()
    page.get_by_role("button", name="Join the waitlist").click()
    expect(page.locator("[data-waitlist-status]")).to_contain_text("on the waitlist")


def test_login_errors_and_register(new_page):
    page = new_page()
    page.goto("/login/")
    assert_accessible(page)
    page.get_by_label("Email").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("email or password is not right")
    page.goto("/register/")
    assert_accessible(page)
    page.get_by_label("Full name").fill("New Person")
    page.get_by_label("Email").fill(f"new{int(time.time())}@venue.test")
    page.get_by_label("Password").fill("a-long-enough-passphrase")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator(".messages")).to_contain_text("Your account is ready")
    page.get_by_role("button", name="Log out").click()
    expect(page.locator(".messages")).to_contain_text("logged out")
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
