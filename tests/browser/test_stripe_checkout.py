"""Paying with Stripe in a real browser: 3-D Secure through the bank's page and back.

A second uvicorn serves the browser tests' database with Stripe configured against a
Stripe stub (tests/support/stripe_stub.py) in this process, on loopback. Chromium
follows the real navigation: the seat-map page's script gets the confirm's 202 and
goes to the bank's page; the "My bookings" page's plain form gets the hand-off page,
whose meta refresh leaves for the bank (a form's redirect to another site would break
`form-action 'self'`). The bank's page (the stub's) approves and sends the browser
back to `/payments/<id>/return/`, which shows the booking.
"""

import contextlib
import re

import pytest
from playwright.sync_api import expect

from tests.support import sites
from tests.support.stripe_stub import API_KEY, WEBHOOK_SECRET, StripeStub

from .conftest import login
from .test_customer import open_showtime

THREE_DS = "Stripe test card: asks for 3-D Secure"


@pytest.fixture(scope="module")
def stripe_site(site):
    stub = StripeStub().start()
    env = {
        **site.env,
        "STRIPE_SECRET_KEY": API_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": stub.url,
    }
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(stub.stop)
        run_dir = sites.run_dir(cleanup, "venue-browser-stripe-")
        (server,) = sites.start_backends(cleanup, run_dir, [("asgi-stripe", "asgi", env)])
        yield server.url, stub


@pytest.fixture
def stripe_page(browser, stripe_site, console):
    base_url, _ = stripe_site
    # Banners uploaded by the organizer's test are files of the main test server's
    # media (nginx serves media in production); this second server has none of them.
    console.allow("/media/banners/")
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    yield console.watch(context.new_page())
    context.close()


def test_3d_secure_from_the_seat_map_page_and_from_my_bookings(stripe_page, stripe_site, site):
    page = stripe_page
    _, stub = stripe_site
    login(page, site.fresh_customer("3ds-buyer"))  # the concert caps each customer at 4
    # The concert's last showtime this week: the first may be tonight's, closed to sales.
    open_showtime(page, "Harbour Lights Live", -1)
    page.get_by_label("Tickets").fill("2")
    page.get_by_role("button", name="Hold seats").click()
    expect(page.locator("#checkout")).to_contain_text("2 tickets")
    page.get_by_label("Card").select_option(label=THREE_DS)
    page.get_by_role("button", name="Pay and book").click()  # the script: API, 202, bank
    page.wait_for_url(re.compile(r"/bookings/\d+/$"))
    expect(page.locator("img[src^='data:image/svg+xml']")).to_have_count(2)
    assert len(stub.succeeded()) == 1

    # The plain form of "My bookings": the hand-off page, then the bank, then back.
    open_showtime(page, "Harbour Lights Live", -1)
    page.get_by_label("Tickets").fill("1")
    page.get_by_role("button", name="Hold seats").click()
    expect(page.locator("#checkout")).to_contain_text("1 ticket")
    page.goto("/bookings/")
    page.get_by_label("Card").first.select_option(label=THREE_DS)
    page.get_by_role("button", name="Pay and book").first.click()
    page.wait_for_url(re.compile(r"/bookings/\d+/$"))
    expect(page.get_by_text("Booked. Your reference is")).to_be_visible()
    assert len(stub.succeeded()) == 2
    assert sum(1 for _, path in stub.calls if path.startswith("/3ds/")) == 2  # the bank, twice
    assert stub.count("POST", "/v1/refunds") == 0
