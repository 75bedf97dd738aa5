"""A new account confirms its email in a real browser, then moves to a new address that
takes effect only once its own link is opened; axe on the account and link pages."""

import re
import secrets

from playwright.sync_api import expect

from .conftest import assert_accessible, screenshot

LINK = re.compile(r"http://\S+/verify-email/\S+/")


def test_confirm_then_change_the_email(new_page, site):
    email = f"newcomer-{secrets.token_hex(3)}@example.org"
    page = new_page()
    page.goto(site.url("/register/"))
    page.get_by_label("Full name").fill("New Comer")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("a-long-enough-passphrase")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator(".messages")).to_contain_text("Your account is ready")

    page.goto(site.url("/account/"))
    expect(page.locator("[data-unverified]")).to_have_text("(not confirmed yet)")
    assert_accessible(page)
    (body,) = site.mail(email)
    page.goto(LINK.search(body).group(0))
    expect(page.get_by_role("heading", level=1)).to_have_text("Email confirmed")
    assert_accessible(page)

    page.goto(site.url("/account/"))
    expect(page.locator("[data-email]")).to_have_text(email)
    expect(page.locator("[data-unverified]")).to_have_count(0)
    moved = f"moved-{secrets.token_hex(3)}@example.org"
    page.get_by_label("New email").fill(moved)
    page.get_by_label("Your password", exact=True).fill("a-long-enough-passphrase")
    page.get_by_role("button", name="Change the email").click()
    expect(page.locator(".messages")).to_contain_text(moved)
    expect(page.locator("[data-email]")).to_have_text(email)  # not yet: the link first
    assert_accessible(page)
    screenshot(page, "52-account-email-pending")

    (body,) = site.mail(moved)
    page.goto(LINK.search(body).group(0))
    expect(page.get_by_role("heading", level=1)).to_have_text("Email confirmed")
    expect(page.get_by_role("status")).to_contain_text(moved)
    page.goto(site.url("/account/"))
    expect(page.locator("[data-email]")).to_have_text(moved)
