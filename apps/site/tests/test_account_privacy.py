"""The account page's "Your data": the JSON download and deleting the account, with its
refusals shown on the page (never a 500)."""

import json
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from apps.accounts.cookies import access_cookie_name, refresh_cookie_name
from apps.accounts.models import TeamMember, TeamRole
from apps.scheduling.models import Slot
from tests.support.booking import book
from tests.support.demo import sign_in
from tests.support.fixtures import *  # noqa: F403
from tests.support.showtimes import *  # noqa: F403

pytestmark = pytest.mark.django_db

PASSWORD = "pw-not-used-0"  # tests.support.fixtures' users


@pytest.fixture
def signed_in(client, customer):
    return sign_in(client, customer.email, password=PASSWORD)


def delete(client, password=PASSWORD):
    return client.post("/account/delete/", {"delete-password": password})


def test_the_account_page_has_the_download_and_the_delete_form(signed_in):
    page = signed_in.get("/account/").content.decode()
    assert "Your data" in page
    assert re.search(r'<a href="/account/export/"[^>]*>Download your data \(JSON\)</a>', page)
    assert 'action="/account/delete/"' in page and "Delete my account" in page
    assert "stay in the organizers' books" in page  # what is kept, said before deleting


def test_the_download_is_the_users_data_as_a_json_attachment(
    signed_in, customer, other_organizer, reserved_slot, seat_ids
):
    booking = book(customer, reserved_slot.pk, seat_ids=seat_ids[:1])
    response = signed_in.get("/account/export/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    day = timezone.now().strftime("%Y-%m-%d")
    assert response["Content-Disposition"] == f'attachment; filename="venue-data-{day}.json"'
    data = json.loads(response.content)
    assert data["account"]["email"] == customer.email
    assert [b["reference"] for b in data["bookings"]] == [booking.reference]
    assert other_organizer.email not in response.content.decode()
    assert Client().get("/account/export/")["Location"].startswith("/login/")


def test_a_wrong_password_is_said_on_the_form(signed_in, customer):
    response = delete(signed_in, "not-mine")
    assert response.status_code == 200
    assert "The password is not right." in response.content.decode()
    customer.refresh_from_db()
    assert customer.is_active and customer.email == "buyer@example.org"


def test_bookings_still_to_come_are_listed_instead(signed_in, customer, reserved_slot, seat_ids):
    booking = book(customer, reserved_slot.pk, seat_ids=seat_ids[:2])
    response = delete(signed_in)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-refusal="active_bookings"' in page and booking.reference in page
    assert "Cancel them, or go to the show" in page
    customer.refresh_from_db()
    assert customer.is_active
    assert signed_in.get("/bookings/").status_code == 200  # still signed in


def test_a_team_member_or_an_organizer_is_told_why_not(client, customer, organizer):
    TeamMember.objects.create(organizer=organizer, user=customer, role=TeamRole.SCANNER)
    sign_in(client, customer.email, password=PASSWORD)
    assert 'data-refusal="team_member"' in delete(client).content.decode()
    boss = sign_in(Client(), organizer.email, password=PASSWORD)
    assert 'data-refusal="organizer_account"' in delete(boss).content.decode()


def test_deleting_signs_out_and_the_old_login_fails(
    signed_in, customer, reserved_slot, seat_ids, django_capture_on_commit_callbacks
):
    booking = book(customer, reserved_slot.pk, seat_ids=seat_ids[:1])
    now = timezone.now()
    Slot.objects.filter(pk=reserved_slot.pk).update(
        starts_at=now - timedelta(hours=3), ends_at=now - timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = delete(signed_in)
    assert response.status_code == 302 and response["Location"] == "/"
    assert response.cookies[access_cookie_name()].value == ""
    assert response.cookies[refresh_cookie_name()].value == ""
    home = signed_in.get("/").content.decode()
    assert "Your account is deleted and you are logged out." in home
    assert signed_in.get("/account/").status_code == 302
    page = signed_in.post("/login/", {"email": "buyer@example.org", "password": PASSWORD})
    assert "The email or password is not right." in page.content.decode()
    (message,) = [m for m in mail.outbox if m.to == ["buyer@example.org"]]
    assert "deleted" in message.subject
    booking.refresh_from_db()
    assert booking.user_id == customer.pk and booking.status == "confirmed"


def test_delete_is_a_post_of_a_signed_in_user(signed_in):
    assert signed_in.get("/account/delete/").status_code == 405
    response = Client().post("/account/delete/", {"delete-password": PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith("/login/")
