"""The owner's data, the accounts side: the export's account part, and deleting an account
(`accounts.privacy`, `GET auth/me/export/`, `DELETE auth/me/`). What the booking engine,
the waitlist and the door add is tested across the apps in tests/test_privacy.py."""

import json
import logging

import pytest
from django.core import mail
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from apps.accounts import privacy
from apps.accounts.cookies import access_cookie_name, refresh_cookie_name
from apps.accounts.models import TeamMember, TeamRole, User
from apps.core.exceptions import Conflict
from conftest import PASSWORD
from tests.support.ratelimit import assert_throttled, frozen_clock, tiers  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

ME, EXPORT = "/api/v1/auth/me/", "/api/v1/auth/me/export/"


def login(client, email, password=PASSWORD):
    return client.post("/api/v1/auth/login/", {"email": email, "password": password}, format="json")


def token_pair(email, password=PASSWORD) -> dict:
    response = APIClient().post("/api/v1/auth/token/", {"email": email, "password": password})
    assert response.status_code == 200, response.content
    return response.json()


def bearer_client(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def delete(client, password=PASSWORD, **headers):
    return client.delete(ME, {"password": password}, format="json", **headers)


@pytest.fixture
def ana(make_user):
    return make_user("ana@example.org", full_name="Ana Lopes")


@pytest.fixture
def bruno(make_user):
    return make_user("bruno@example.org", full_name="Bruno Reis")


# --- the export


def test_the_export_is_the_account_its_sign_ins_and_nothing_of_anyone_else(ana, bruno):
    ana_pair, bruno_pair = token_pair(ana.email), token_pair(bruno.email)
    response = bearer_client(ana_pair["access"]).get(EXPORT)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["account"] == {
        "id": ana.pk,
        "email": "ana@example.org",
        "full_name": "Ana Lopes",
        "role": "customer",
        "is_active": True,
        "date_joined": data["account"]["date_joined"],
        "last_login": None,
        "email_verified_at": None,
        "pending_email": "",
    }
    assert data["team_memberships"] == []
    assert len(data["sign_ins"]) == 1 and data["sign_ins"][0]["revoked"] is False
    # Every section an app registered is there (the rest is tests/test_privacy.py's).
    assert {"bookings", "holds", "payments", "waitlist_entries", "checkin_scans"} <= set(data)
    text = json.dumps(data)
    for foreign in ("bruno", "Bruno", str(bruno_pair["refresh"]), str(bruno_pair["access"])):
        assert foreign not in text
    # No secret of Ana's either: neither her tokens nor her password's hash.
    assert ana_pair["refresh"] not in text and ana_pair["access"] not in text
    assert ana.password not in text


def test_a_team_members_export_says_for_whom(ana, make_user):
    organizer = make_user("boss@example.org", "organizer", full_name="Harbour Arts")
    TeamMember.objects.create(organizer=organizer, user=ana, role=TeamRole.SCANNER)
    (membership,) = privacy.user_export(user=ana)["team_memberships"]
    assert membership["organizer"] == organizer.pk
    assert (membership["organizer_name"], membership["role"]) == ("Harbour Arts", "scanner")


def test_the_export_needs_a_sign_in(api_client):
    assert api_client.get(EXPORT).status_code == 401
    assert api_client.delete(ME, {"password": "x"}, format="json").status_code == 401


# --- deleting


def test_deleting_erases_the_person_and_closes_the_account(
    ana, django_capture_on_commit_callbacks, caplog
):
    pair = token_pair(ana.email)
    with (
        caplog.at_level(logging.INFO, logger="venue.audit"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = delete(bearer_client(pair["access"]))
    assert response.status_code == 204, response.content
    ana.refresh_from_db()
    assert ana.email == f"deleted-{ana.pk}@deleted.invalid"
    assert (ana.full_name, ana.pending_email, ana.email_verified_at) == ("", "", None)
    assert not ana.is_active and not ana.has_usable_password()
    # Every refresh token revoked; the access token carries the old password's fingerprint.
    assert not OutstandingToken.objects.filter(user=ana, blacklistedtoken__isnull=True).exists()
    refreshed = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": pair["refresh"]})
    assert refreshed.status_code == 401
    assert bearer_client(pair["access"]).get(ME).status_code == 401
    # The old address can no longer log in, and is told (after commit) what was kept.
    refused = login(APIClient(), "ana@example.org")
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_credentials"
    (message,) = mail.outbox
    assert message.to == ["ana@example.org"] and "organizers' books" in message.body
    assert "deleted" in message.subject
    # One audit line with the id, no address and no name.
    (line,) = [r for r in caplog.records if getattr(r, "event", "") == "account_deleted"]
    assert line.target_user_id == ana.pk
    assert "ana@example.org" not in str(vars(line)) and "Lopes" not in str(vars(line))


def test_the_address_is_free_again_after_deleting(ana, api_client):
    privacy.user_delete(user=ana, password=PASSWORD)
    body = {"email": "ana@example.org", "password": PASSWORD, "full_name": "Ana Again"}
    created = api_client.post("/api/v1/auth/register/", body, format="json")
    assert created.status_code == 201 and created.json()["id"] != ana.pk


def test_a_browser_is_signed_out_by_deleting(ana):
    client = APIClient(enforce_csrf_checks=True)
    login(client, ana.email)
    refresh = client.cookies[refresh_cookie_name()].value
    refused = delete(client)  # a cookie request needs its CSRF header, as every write
    assert refused.status_code == 403
    response = delete(client, HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
    assert response.status_code == 204
    assert response.cookies[access_cookie_name()].value == ""
    assert response.cookies[refresh_cookie_name()].value == ""
    client.cookies[refresh_cookie_name()] = refresh
    again = client.post("/api/v1/auth/refresh/", HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
    assert again.status_code == 401


def test_a_wrong_password_erases_nothing(ana):
    pair = token_pair(ana.email)
    client = bearer_client(pair["access"])
    response = delete(client, password="not-my-password")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "wrong_password"
    assert delete(client, password=7).json()["error"]["details"].keys() == {"password"}
    assert client.delete(ME).status_code == 400  # no body: the password is required
    ana.refresh_from_db()
    assert (ana.email, ana.full_name, ana.is_active) == ("ana@example.org", "Ana Lopes", True)
    assert client.get(ME).status_code == 200
    assert login(APIClient(), ana.email).status_code == 200


@pytest.mark.parametrize(
    ("role", "code"), [("organizer", "organizer_account"), ("admin", "admin_account")]
)
def test_organizers_and_admins_are_refused(make_user, role, code):
    user = make_user(f"{role}@example.org", role, full_name="Kept Name")
    response = delete(bearer_client(token_pair(user.email)["access"]))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == code
    user.refresh_from_db()
    assert user.is_active and user.full_name == "Kept Name"


def test_a_team_member_is_refused_until_taken_off_the_team(ana, make_user):
    organizer = make_user("boss@example.org", "organizer")
    member = TeamMember.objects.create(organizer=organizer, user=ana, role=TeamRole.MANAGER)
    client = bearer_client(token_pair(ana.email)["access"])
    response = delete(client)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "team_member"
    assert error["details"] == {"organizer": organizer.pk, "role": "manager"}
    member.delete()
    assert delete(client).status_code == 204


def test_a_refusing_app_rolls_the_whole_deletion_back(ana, monkeypatch):
    """An eraser that wrote something and then refuses leaves everything as it was."""

    def refuse(user):
        User.objects.filter(pk=user.pk).update(full_name="written, then rolled back")
        raise Conflict("Not now.", code="not_now")

    monkeypatch.setattr(privacy, "_erasers", [*privacy._erasers, refuse])
    with pytest.raises(Conflict):
        privacy.user_delete(user=ana, password=PASSWORD)
    ana.refresh_from_db()
    assert (ana.full_name, ana.email, ana.is_active) == ("Ana Lopes", "ana@example.org", True)
    assert ana.check_password(PASSWORD)


@pytest.mark.usefixtures("frozen_clock")
def test_deleting_counts_against_the_login_tier_and_reading_me_does_not(ana, settings):
    settings.VENUE_RATE_LIMITS = True
    client = bearer_client(token_pair(ana.email)["access"])
    with tiers(login_ip="2/m"):
        assert [delete(client, "wrong").status_code for _ in range(2)] == [400, 400]
        assert_throttled(delete(client, "wrong"))
        assert client.get(ME).status_code == 200
        assert client.get(EXPORT).status_code == 200
