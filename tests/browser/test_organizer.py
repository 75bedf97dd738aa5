# ruff: noqa: E501  (the manage.py shell snippets read best on one line each)
"""The organizer journey in a real browser, and the seat map's speed on a 500-seat layout."""

import io
import re
import secrets
from datetime import date, timedelta

from PIL import Image
from playwright.sync_api import expect

from tests.support.demo import DEMO_EMAIL, ORGANIZER_EMAIL

from .conftest import assert_accessible, login, page_weight, screenshot


def banner_png(tmp_path):
    path = tmp_path / "banner.png"
    buffer = io.BytesIO()
    Image.new("RGB", (640, 360), (11, 92, 173)).save(buffer, "PNG")
    path.write_bytes(buffer.getvalue())
    return path


def test_organizer_journey(new_page, site, tmp_path):
    page = new_page()
    login(page, ORGANIZER_EMAIL, next_path="/organizer/")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    assert_accessible(page)

    # Create an event, with inline validation and a banner preview.
    title = f"Open Rehearsal {secrets.token_hex(3)}"
    page.get_by_role("link", name="New event").first.click()
    page.get_by_label("Type").select_option("play")
    page.get_by_label("Title").fill("")
    page.get_by_label("Title").blur()
    expect(page.locator(".field-error[data-inline]")).to_be_visible()
    page.get_by_label("Title").fill(title)
    page.get_by_label("City").fill("Lisbon")
    page.get_by_label("Banner image").set_input_files(str(banner_png(tmp_path)))
    expect(page.locator("#banner-preview")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "20-organizer-new-event")
    page.get_by_role("button", name="Create event").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Schedule “{title}”")

    # A venue, a screen and its seat layout.
    page.get_by_role("link", name="Venues and screens").click()
    venue = f"Black Box {secrets.token_hex(3)}"
    page.get_by_label("Name").fill(venue)
    page.get_by_label("City").fill("Lisbon")
    page.get_by_label("Time zone").fill("Europe/Lisbon")
    page.get_by_role("button", name="Add venue").click()
    page.get_by_label("Screen name").fill("Room 1")
    page.get_by_role("button", name="Add screen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Seat layout")
    page.get_by_label("Rows", exact=True).fill("5")
    page.get_by_label("Seats per row").fill("8")
    page.get_by_label("Aisles after seat numbers").fill("4")
    page.get_by_label("Row categories").fill("E premium")
    page.get_by_role("button", name="Preview grid").click()
    cells = page.locator(".layout-cell")
    expect(cells).to_have_count(5 * 9)
    # Mark one more aisle in the grid editor: the first cell of row A becomes an aisle.
    first = page.locator(".layout-cell").first
    expect(first).to_have_attribute("aria-label", "Row A, column 1: standard")
    first.click()  # standard -> aisle (categories first, then aisle)
    expect(page.locator(".layout-cell").first).to_have_attribute("data-kind", "aisle")
    assert_accessible(page)
    screenshot(page, "21-organizer-layout")
    page.get_by_role("button", name="Save layout").click()
    expect(page.locator(".messages")).to_contain_text("39 seats")

    # Generate showtimes for the event on that screen.
    page.get_by_role("navigation", name="Organizer portal").get_by_role(
        "link", name="Events"
    ).click()
    page.get_by_role("link", name=f"Schedule {title}").click()
    page.get_by_label("Screen").select_option(label=f"{venue} / Room 1")
    tomorrow = date.today() + timedelta(days=1)
    page.get_by_label("From").fill(tomorrow.isoformat())
    page.get_by_label("To").fill((tomorrow + timedelta(days=2)).isoformat())
    page.get_by_label("Start times").fill("19:00")
    page.get_by_label("Duration (minutes)").fill("90")
    page.get_by_label("Seating").select_option("reserved")
    page.get_by_label("Prices").fill("standard=10.00, premium=15.00")
    assert_accessible(page)
    page.get_by_role("button", name="Generate showtimes").click()
    expect(page.locator("[data-job-status]")).to_have_attribute("data-job-status", "succeeded")
    expect(page.locator("[data-created]")).to_have_text("3")
    assert_accessible(page)
    screenshot(page, "22-organizer-generated")

    # A customer buys two seats of the first showtime.
    reference = site.shell(
        "from apps.accounts.models import User\n"
        "from apps.scheduling.models import Slot\n"
        "from tests.support.booking import book\n"
        f"slot = Slot.objects.filter(event__title={title!r}).order_by('starts_at').first()\n"
        "seats = list(slot.screen.seats.order_by('id').values_list('id', flat=True)[:2])\n"
        f"user = User.objects.get(email={DEMO_EMAIL!r})\n"
        "print(book(user, slot.pk, seat_ids=seats).reference)"
    )
    page.get_by_role("navigation", name="Organizer portal").get_by_role(
        "link", name="Dashboard"
    ).click()
    row = page.locator("tr", has_text=title).first
    expect(row.locator("[data-tickets]")).to_have_text("2 / 39")
    expect(row.locator("[data-revenue]")).to_have_text("20.00")
    today = date.today().isoformat()
    assert int(page.locator(f"rect[data-day='{today}']").get_attribute("data-tickets")) >= 2
    assert_accessible(page)
    screenshot(page, "23-organizer-dashboard")

    # Bookings of that showtime: search, then export CSV.
    row.get_by_role("link", name=re.compile(r"bookings? of")).click()
    page.get_by_label("Reference, email or name").fill(reference)
    page.get_by_role("button", name="Search").click()
    expect(page.locator("table.data")).to_contain_text(reference)
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    text = download.value.path().read_text()
    assert text.splitlines()[0].startswith("reference,status,email")
    assert reference in text and DEMO_EMAIL in text
    screenshot(page, "24-organizer-bookings")


def test_seatmap_of_500_seats_renders_fast_without_layout_shift(new_page, site):
    slot_id = site.shell(
        "from datetime import timedelta\n"
        "from decimal import Decimal\n"
        "from django.utils import timezone\n"
        "from apps.accounts.models import User\n"
        "from apps.catalog import services as catalog\n"
        "from apps.catalog.models import Event\n"
        "from apps.scheduling.services import slot_create\n"
        f"org = User.objects.get(email={ORGANIZER_EMAIL!r})\n"
        "venue = catalog.venue_create(organizer=org, name='Arena 500', city='Porto', timezone='Europe/Lisbon')\n"
        "screen = catalog.screen_create(venue=venue, name='Big Room')\n"
        "rows = [{'name': chr(65 + r), 'seats': [{'number': n, 'category': 'premium' if r < 4 else 'standard'} for n in range(1, 26)]} for r in range(20)]\n"
        "screen = catalog.screen_layout_replace(screen=screen, rows=rows)\n"
        "event = Event.objects.get(title='A Midsummer Night\\'s Dream')\n"
        "start = (timezone.now() + timedelta(days=30)).replace(minute=0, second=0, microsecond=0)\n"
        "slot = slot_create(event=event, screen=screen, starts_at=start, ends_at=start + timedelta(hours=2), seating='reserved', prices={'standard': Decimal('20.00'), 'premium': Decimal('30.00')})\n"
        "print(slot.pk)"
    )
    page = new_page()
    page.add_init_script(
        "window.__shift = 0; new PerformanceObserver(list => { for (const e of list.getEntries())"
        " { if (!e.hadRecentInput) window.__shift += e.value; } })"
        ".observe({type: 'layout-shift', buffered: true});"
    )
    page.goto(f"/slots/{slot_id}/")
    expect(page.locator("#seatmap")).to_have_attribute("data-ready", "true")
    expect(page.locator("button.seat")).to_have_count(500)
    render_ms = float(page.locator("#seatmap").get_attribute("data-render-ms"))
    assert render_ms < 100, render_ms
    page.wait_for_timeout(300)
    shift = page.evaluate("() => window.__shift")
    assert shift < 0.01, shift
    weight = page_weight(page)
    assert weight < 200_000, weight
    assert_accessible(page)
    screenshot(page, "25-seatmap-500")
    print(f"500 seats: render {render_ms} ms, layout shift {shift}, page weight {weight} bytes")


def test_pages_not_covered_by_the_journeys_pass_axe(new_page, site, console):
    """The event page, the portal's lists and venue pages, the error and admin login pages."""
    console.allow("status of 404")  # the 404 page's own response, asked for on purpose
    page = new_page()
    page.goto("/")
    page.locator("a[href^='/events/']").first.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)
    for path, status in (("/no-such-page/", 404), ("/admin/login/", 200)):
        response = page.goto(path)
        assert response.status == status
        assert_accessible(page)
    login(page, ORGANIZER_EMAIL, next_path="/organizer/venues/")
    assert_accessible(page)
    page.locator("a[href^='/organizer/venues/']").first.click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)
    page.goto("/organizer/events/")
    assert_accessible(page)
    screenshot(page, "40-organizer-events")
    for name in ("Ticket types", "Codes"):  # the first event's
        page.goto("/organizer/events/")
        page.get_by_role("link", name=name).first.click()
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_accessible(page)
