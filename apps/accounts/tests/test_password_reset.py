"""Password reset by email: no enumeration, a one-time link that expires and names one
account, everything signed in revoked; the API and the pages."""

import re
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.cache import cache
from rest_framework.test import APIClient

from apps.accounts import recovery
from conftest import PASSWORD

pytestmark = pytest.mark.django_db
NEW = "a-brand-new-passphrase-42"
RESET = "/api/v1/auth/password-reset/"
CONFIRM = "/api/v1/auth/password-reset/confirm/"


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()


def ask(client, email):
    return client.post(RESET, {"email": email}, format="json")


def link_parts(message) -> tuple[str, str]:
    (uid, token) = re.search(r"/password-reset/([^/\s]+)/([^/\s]+)/", message.body).groups()
    return uid, token


def test_the_same_answer_with_or_without_an_account(api_client, customer):
    known, unknown = ask(api_client, customer.email), ask(api_client, "nobody@example.org")
    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content == b""
    (message,) = mail.outbox
    assert message.to == [customer.email]
    assert "http://testserver/password-reset/" in message.body
    assert "60 minutes" in message.body and message.alternatives[0][1] == "text/html"


def test_a_reset_sets_the_password_and_revokes_everything(api_client, customer):
    signed_in = api_client.post(
        "/api/v1/auth/token/", {"email": customer.email, "password": PASSWORD}, format="json"
    ).json()
    ask(api_client, customer.email)
    uid, token = link_parts(mail.outbox[0])
    done = api_client.post(CONFIRM, {"uid": uid, "token": token, "password": NEW}, format="json")
    assert done.status_code == 204

    # The old refresh token and access token are dead; the new password works.
    refresh = api_client.post(
        "/api/v1/auth/token/refresh/", {"refresh": signed_in["refresh"]}, format="json"
    )
    assert refresh.status_code == 401
    old = APIClient(HTTP_AUTHORIZATION=f"Bearer {signed_in['access']}")
    assert old.get("/api/v1/auth/me/").status_code == 401
    login = {"email": customer.email, "password": NEW}
    assert api_client.post("/api/v1/auth/token/", login, format="json").status_code == 200

    # The link works once.
    again = api_client.post(
        CONFIRM, {"uid": uid, "token": token, "password": "yet-another-passphrase-7"}, format="json"
    )
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "reset_link_invalid"


def test_a_reset_confirms_an_unconfirmed_address(api_client, customer):
    customer.email_verified_at = None
    customer.save(update_fields=["email_verified_at"])
    ask(api_client, customer.email)
    uid, token = link_parts(mail.outbox[0])
    done = api_client.post(CONFIRM, {"uid": uid, "token": token, "password": NEW}, format="json")
    assert done.status_code == 204
    customer.refresh_from_db()
    assert customer.email_verified_at is not None


def test_a_link_proves_nothing_for_another_account(api_client, customer, make_user):
    other = make_user("other@example.org")
    ask(api_client, customer.email)
    _, token = link_parts(mail.outbox[0])
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    other_uid = urlsafe_base64_encode(force_bytes(other.pk))
    body = {"uid": other_uid, "token": token, "password": NEW}
    response = api_client.post(CONFIRM, body, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "reset_link_invalid"
    other.refresh_from_db()
    assert other.check_password(PASSWORD)


def test_an_expired_link_is_refused(api_client, customer, monkeypatch, settings):
    ask(api_client, customer.email)
    uid, token = link_parts(mail.outbox[0])
    later = datetime.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 5)
    monkeypatch.setattr(default_token_generator, "_now", lambda: later)
    body = {"uid": uid, "token": token, "password": NEW}
    assert api_client.post(CONFIRM, body, format="json").status_code == 400
    customer.refresh_from_db()
    assert customer.check_password(PASSWORD)


def test_a_weak_password_is_refused_and_the_link_still_works(api_client, customer):
    ask(api_client, customer.email)
    uid, token = link_parts(mail.outbox[0])
    weak = api_client.post(CONFIRM, {"uid": uid, "token": token, "password": "123"}, format="json")
    assert weak.status_code == 400 and "password" in weak.json()["error"]["details"]
    good = api_client.post(CONFIRM, {"uid": uid, "token": token, "password": NEW}, format="json")
    assert good.status_code == 204


def test_a_few_links_an_hour_per_account(api_client, customer):
    for _ in range(recovery.RESET_EMAILS_PER_HOUR + 2):
        assert ask(api_client, customer.email).status_code == 202
    assert len(mail.outbox) == recovery.RESET_EMAILS_PER_HOUR


def test_garbage_is_refused(api_client):
    assert ask(api_client, "not-an-email").status_code == 400
    body = {"uid": "!!", "token": "x", "password": NEW}
    assert api_client.post(CONFIRM, body, format="json").status_code == 400


# --- the pages


def test_the_pages_from_forgot_to_logged_in(client, customer):
    login_page = client.get("/login/").content.decode()
    assert 'href="/password-reset/"' in login_page
    sent = client.post("/password-reset/", {"email": customer.email})
    assert sent.status_code == 302 and sent["Location"] == "/password-reset/sent/"
    assert "Check your email" in client.get(sent["Location"]).content.decode()
    uid, token = link_parts(mail.outbox[0])
    url = f"/password-reset/{uid}/{token}/"
    assert "Choose a new password" in client.get(url).content.decode()
    differ = client.post(url, {"password": NEW, "again": NEW + "x"})
    assert differ.status_code == 200 and "The two passwords differ." in differ.content.decode()
    done = client.post(url, {"password": NEW, "again": NEW})
    assert done.status_code == 302 and done["Location"] == "/login/"
    assert client.get(url).status_code == 400  # used
    logged_in = client.post("/login/", {"email": customer.email, "password": NEW})
    assert logged_in.status_code == 302


def test_the_page_answers_the_same_for_unknown_emails(client):
    response = client.post("/password-reset/", {"email": "nobody@example.org"})
    assert response["Location"] == "/password-reset/sent/"
    assert mail.outbox == []
