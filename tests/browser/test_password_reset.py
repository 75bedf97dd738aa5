"""Forgot password in a real browser: ask for a link, open it from the email, set a new
password, log in with it; axe on every page of the way."""

import re
import secrets

from playwright.sync_api import expect

from tests.support.demo import DEMO_PASSWORD

from .conftest import assert_accessible, login, screenshot


def test_forgot_password_to_logged_in(new_page, site, console):
    email = f"forgetful-{secrets.token_hex(3)}@example.org"
    site.shell(
        "from apps.accounts.services import user_register\n"
        f"user_register(email={email!r}, password={DEMO_PASSWORD!r}, full_name='Forgetful Fan')"
    )
    page = new_page()
    page.goto(site.url("/login/"))
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Forgot your password?")
    assert_accessible(page)
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Email me a link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    assert_accessible(page)

    (body,) = site.mail(email)
    link = re.search(r"http://\S+/password-reset/\S+/\S+/", body).group(0)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    assert_accessible(page)
    screenshot(page, "50-password-reset-new")
    new_password = f"fresh-{secrets.token_hex(6)}-passphrase"
    page.get_by_label("New password", exact=True).fill(new_password)
    page.get_by_label("New password again").fill(new_password)
    page.get_by_role("button", name="Set the new password").click()
    expect(page.get_by_text("Your password is changed. Log in with it.")).to_be_visible()

    login(page, email, new_password, next_path="/bookings/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("bookings")
    # The link is spent: the page says so (answered with 400).
    console.allow("status of 400")
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("This link is not valid")
    assert_accessible(page)
