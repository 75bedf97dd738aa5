"""Email verification, the owner's profile, password and email changes: API and pages."""

import re

import pytest
from django.core import mail
from django.core.cache import cache
from rest_framework.test import APIClient

from apps.accounts import verification
from apps.accounts.models import User
from conftest import PASSWORD

pytestmark = pytest.mark.django_db
NEW = "another-long-passphrase-8"


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()


def token_of(message) -> str:
    return re.search(r"/verify-email/([^/\s]+)/", message.body).group(1)


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_new_account_gets_a_link_that_proves_its_address(api_client):
    body = {"email": "fresh@example.org", "password": PASSWORD, "full_name": "Fresh"}
    created = api_client.post("/api/v1/auth/register/", body, format="json").json()
    assert created["email_verified"] is False
    (message,) = mail.outbox
    assert message.to == ["fresh@example.org"] and "/verify-email/" in message.body
    verified = api_client.post(
        "/api/v1/auth/verify-email/", {"token": token_of(message)}, format="json"
    )
    assert verified.status_code == 200 and verified.json()["email_verified"] is True
    assert User.objects.get(email="fresh@example.org").email_verified_at is not None


def test_a_forged_or_expired_link_is_refused(api_client, customer, settings):
    verification.verification_send(user=customer, base_url="http://testserver/")
    token = token_of(mail.outbox[0])
    forged = api_client.post("/api/v1/auth/verify-email/", {"token": token + "x"}, format="json")
    assert forged.status_code == 400
    assert forged.json()["error"]["code"] == "verify_link_invalid"
    settings.VENUE_EMAIL_VERIFY_SECONDS = -1
    expired = api_client.post("/api/v1/auth/verify-email/", {"token": token}, format="json")
    assert expired.status_code == 400


def test_sending_again_is_limited(customer):
    client = signed_in(customer)
    answers = [client.post("/api/v1/auth/verify-email/resend/").status_code for _ in range(4)]
    assert answers == [202, 202, 202, 429]
    assert len(mail.outbox) == verification.EMAILS_PER_HOUR


def test_an_email_change_waits_for_the_new_address(customer, make_user):
    client = signed_in(customer)
    wrong = client.post(
        "/api/v1/auth/me/email/", {"email": "new@example.org", "password": "nope"}, format="json"
    )
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "wrong_password"
    make_user("taken@example.org")
    taken = client.post(
        "/api/v1/auth/me/email/",
        {"email": "taken@example.org", "password": PASSWORD},
        format="json",
    )
    assert taken.status_code == 409
    asked = client.post(
        "/api/v1/auth/me/email/", {"email": "new@example.org", "password": PASSWORD}, format="json"
    )
    assert asked.status_code == 202 and asked.json()["pending_email"] == "new@example.org"
    customer.refresh_from_db()
    assert customer.email == "customer@example.org"  # unchanged until the link is opened
    (message,) = mail.outbox
    assert message.to == ["new@example.org"]
    verification.email_verify(token=token_of(message))
    customer.refresh_from_db()
    assert (customer.email, customer.pending_email) == ("new@example.org", "")
    assert customer.email_verified_at is not None


def test_profile_and_password(customer):
    client = signed_in(customer)
    named = client.patch("/api/v1/auth/me/profile/", {"full_name": "Ana B."}, format="json")
    assert named.status_code == 200 and named.json()["full_name"] == "Ana B."
    bad = client.post(
        "/api/v1/auth/me/password/", {"current_password": "x", "password": NEW}, format="json"
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "wrong_password"
    good = client.post(
        "/api/v1/auth/me/password/",
        {"current_password": PASSWORD, "password": NEW},
        format="json",
    )
    assert good.status_code == 200
    customer.refresh_from_db()
    assert customer.check_password(NEW)


# --- the pages


def test_the_account_page(client, customer):
    client.force_login(customer)
    page = client.get("/account/").content.decode()
    assert "customer@example.org" in page and "data-unverified" in page
    assert 'href="/account/"' in client.get("/").content.decode()
    client.post("/account/", {"form": "name", "full_name": "Renamed"})
    customer.refresh_from_db()
    assert customer.full_name == "Renamed"
    client.post("/account/", {"form": "email", "email-email": "moved@example.org",
                              "email-password": PASSWORD})  # fmt: skip
    (message,) = mail.outbox
    confirmed = client.get(f"/verify-email/{token_of(message)}/")
    assert confirmed.status_code == 200 and "moved@example.org" in confirmed.content.decode()
    assert client.get("/verify-email/nonsense/").status_code == 400
    wrong = client.post("/account/", {"form": "password", "pw-current_password": "x",
                                      "pw-password": NEW})  # fmt: skip
    assert "The current password is not right." in wrong.content.decode()
    changed = client.post("/account/", {"form": "password", "pw-current_password": PASSWORD,
                                        "pw-password": NEW})  # fmt: skip
    assert changed.status_code == 302
    assert client.get("/account/").status_code == 200  # still signed in here
