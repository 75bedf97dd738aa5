"""The public pages through Django's test client: rendering, redirects, every error path."""

import json
import zoneinfo
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from apps.accounts.cookies import access_cookie_name, refresh_cookie_name
from apps.bookings import services as bookings
from apps.bookings.models import Booking, Hold
from apps.scheduling.models import Slot
from apps.scheduling.services import ticket_types_set
from tests.support.demo import DEMO_EMAIL, DEMO_PASSWORD, seeded_account, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    return seeded_account(DEMO_EMAIL)


@pytest.fixture
def signed_in(client, demo):
    return sign_in(client, demo.email, next="/")


def reserved_slot() -> Slot:
    return Slot.objects.filter(seating="reserved").order_by("starts_at").first()


def general_slot() -> Slot:
    return Slot.objects.filter(seating="general").order_by("starts_at").first()


def test_home_lists_upcoming_events_and_filters(client, demo):
    page = client.get("/").content.decode()
    assert "The Last Showtime" in page and "Harbour Lights Live" in page
    page = client.get("/", {"type": "concert"}).content.decode()
    assert "Harbour Lights Live" in page and "The Last Showtime" not in page
    page = client.get("/", {"q": "nothing-like-this"}).content.decode()
    assert "No upcoming events match these filters" in page
    page = client.get("/", {"date_from": "2030-01-02", "date_to": "2030-01-01"}).content.decode()
    assert "Pick a date on or after the From date." in page
    assert client.get("/", {"city": "Lisbon"}).status_code == 200


def test_event_page_groups_showtimes_by_day(client, demo):
    slot = reserved_slot()
    page = client.get(reverse("event-detail", args=[slot.event_id])).content.decode()
    assert "Showtimes" in page and f"/slots/{slot.pk}/" in page
    assert client.get("/events/999999/").status_code == 404


def test_slot_page_has_seat_map_data_and_reserved_space(client, demo):
    slot = reserved_slot()
    response = client.get(reverse("slot-detail", args=[slot.pk]))
    page = response.content.decode()
    # The seat map reserves the screen's whole grid (which screen shows first depends on
    # the time of day the demo was seeded).
    seats = slot.screen.seats
    cols = max(seats.values_list("x", flat=True)) + 1
    rows = max(seats.values_list("y", flat=True)) + 1
    assert f"--cols: {cols}; --rows: {rows};" in page
    data = json.loads(page.split('id="seatmap-data" type="application/json">')[1].split("<")[0])
    assert len(data["seats"]) == seats.count() and data["loggedIn"] is False
    assert {"id", "label", "category", "price", "status", "x", "y"} <= set(data["seats"][0])
    assert "Log in to hold seats" in page
    assert "Content-Security-Policy" in response.headers
    assert client.get("/slots/999999/").status_code == 404


def test_anonymous_visitors_are_sent_to_login(client, demo):
    response = client.get("/bookings/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/bookings/"
    # The way back keeps its own query: `next` is encoded, so `&x=1` is not lost to /login/.
    response = client.get("/bookings/?page=2&x=1")
    assert response["Location"] == "/login/?next=/bookings/%3Fpage%3D2%26x%3D1"
    client.cookies[access_cookie_name()] = "expired-token"
    client.get("/bookings/")
    page = client.get("/login/").content.decode()
    assert "Your session timed out" in page


def test_login_errors_and_logout(client, demo):
    page = client.post("/login/", {"email": demo.email, "password": "nope"}).content.decode()
    assert "The email or password is not right." in page
    response = client.post(
        "/login/", {"email": demo.email, "password": DEMO_PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"
    assert client.get("/bookings/").status_code == 200
    refresh = client.cookies[refresh_cookie_name()].value
    response = client.post("/api/v1/auth/logout/", {})  # the page's plain "Log out" form
    assert response.status_code == 303 and response["Location"] == "/"
    assert client.get("/bookings/").status_code == 302
    # The refresh token is revoked, not only forgotten by the browser.
    assert APIClient().post("/api/v1/auth/token/refresh/", {"refresh": refresh}).status_code == 401


def test_register_validates_and_signs_in(client, demo):
    page = client.post(
        "/register/", {"full_name": "A", "email": "a@example.org", "password": "123"}
    ).content.decode()
    assert "too short" in page
    page = client.post(
        "/register/", {"full_name": "A", "email": demo.email, "password": "long-enough-pass-1"}
    ).content.decode()
    assert "Log in instead" in page
    response = client.post(
        "/register/",
        {"full_name": "A B", "email": "ab@example.org", "password": "long-enough-pass-1"},
    )
    assert response.status_code == 302
    assert client.get("/bookings/").status_code == 200


def test_general_admission_hold_pay_cancel(signed_in, demo):
    slot = general_slot()
    response = signed_in.post(reverse("slot-hold", args=[slot.pk]), {"quantity": 3})
    assert response.status_code == 302
    hold = Hold.objects.get(user=demo, slot=slot)
    page = signed_in.get(reverse("slot-detail", args=[slot.pk])).content.decode()
    assert "Your hold" in page and "Pay and book" in page and "data-countdown" in page
    # The hold's end, in the venue's time zone like every other time on the page.
    venue_tz = zoneinfo.ZoneInfo(slot.screen.venue.timezone)
    local_end = hold.expires_at.astimezone(venue_tz)
    assert f"{local_end:%H:%M:%S} {local_end.tzname()}</time>" in page
    page = signed_in.get("/bookings/").content.decode()
    assert "Waiting for payment" in page
    assert f"{local_end:%H:%M:%S} {local_end.tzname()}</time>" in page

    pay = reverse("hold-pay", args=[hold.pk])
    declined = signed_in.post(pay, {"token": "decline", "idempotency_key": "k1"}, follow=True)
    assert "The payment was declined" in declined.content.decode()
    replay = signed_in.post(pay, {"token": "decline", "idempotency_key": "k1"}, follow=True)
    assert "The payment was declined" in replay.content.decode()
    assert "Choose a card" in signed_in.post(pay, {}, follow=True).content.decode()
    response = signed_in.post(pay, {"token": "ok", "idempotency_key": "k2"})
    booking = Booking.objects.get(user=demo, slot=slot)
    assert response["Location"] == reverse("booking-detail", args=[booking.pk])
    page = signed_in.get(response["Location"]).content.decode()
    assert booking.reference in page and page.count("data:image/svg+xml") == 3

    cancel = reverse("booking-cancel", args=[booking.pk])
    assert "This cannot be undone" in signed_in.get(cancel).content.decode()
    page = signed_in.post(cancel, follow=True).content.decode()
    assert f"Booking {booking.reference} is cancelled" in page
    page = signed_in.post(cancel, follow=True).content.decode()
    assert "already cancelled" in page
    assert signed_in.get(reverse("booking-detail", args=[999999])).status_code == 404
    assert signed_in.get(reverse("booking-cancel", args=[999999])).status_code == 404


def test_general_admission_takes_a_number_per_ticket_type(signed_in, demo):
    """With ticket types, the general-admission form asks how many of each."""
    slot = general_slot()
    ticket_types_set(
        event=slot.event,
        types=[{"code": "adult", "name": "Adult"},
               {"code": "child", "name": "Child", "prices": {"general": "20.00"}}],
    )  # fmt: skip
    page = signed_in.get(reverse("slot-detail", args=[slot.pk])).content.decode()
    assert 'name="qty_adult"' in page and 'name="qty_child"' in page
    assert 'name="quantity"' not in page
    hold_url = reverse("slot-hold", args=[slot.pk])
    signed_in.post(hold_url, {"qty_adult": "1", "qty_child": "2"})
    hold = Hold.objects.get(user=demo, slot=slot)
    assert hold.total == Decimal("75.00")  # 35.00 + 2 x 20.00
    page = signed_in.get(reverse("slot-detail", args=[slot.pk])).content.decode()
    assert "1 Adult, 2 Child" in page
    for bad in ({"qty_adult": "0", "qty_child": "0"}, {"qty_adult": "11"}, {"qty_Adult!": "1"}):
        page = signed_in.post(hold_url, bad, follow=True).content.decode()
        assert "Choose between 1 and 10 tickets." in page
    page = signed_in.post(hold_url, {"qty_student": "1"}, follow=True).content.decode()
    assert "does not sell that ticket type" in page
    assert Hold.objects.get(user=demo, slot=slot).pk == hold.pk  # refused: the hold stands


def test_hold_errors_become_messages(signed_in, demo):
    slot = general_slot()
    page = signed_in.post(
        reverse("slot-hold", args=[slot.pk]), {"quantity": 0}, follow=True
    ).content.decode()
    assert "Choose between 1 and 10 tickets." in page
    page = signed_in.post(
        reverse("slot-hold", args=[reserved_slot().pk]), {"quantity": 2}, follow=True
    ).content.decode()
    assert "Reserved showtimes take a list of seats" in page
    page = signed_in.post(reverse("hold-release", args=[424242]), follow=True).content.decode()
    assert "No such hold of yours" in page
    page = signed_in.post(
        reverse("hold-pay", args=[424242]), {"token": "ok", "idempotency_key": "x"}, follow=True
    ).content.decode()
    assert "No such hold of yours" in page


def test_reserved_hold_shows_seats_and_release(signed_in, demo):
    slot = reserved_slot()
    seats = list(slot.screen.seats.order_by("id").values_list("id", flat=True)[:2])
    hold = bookings.hold_create(user=demo, slot_id=slot.pk, seat_ids=seats, kind="offer")
    page = signed_in.get(reverse("slot-detail", args=[slot.pk])).content.decode()
    # The demo's reserved showtimes sell adult and child tickets: plain seats are adults.
    assert "Your waitlist offer" in page and "Seats A1 (Adult), A2 (Adult)" in page
    assert "Waitlist offer" in signed_in.get("/bookings/").content.decode()
    page = signed_in.post(
        reverse("hold-release", args=[hold.pk]), {"next": f"/slots/{slot.pk}/"}, follow=True
    ).content.decode()
    assert "Your seats were released." in page


def test_sold_out_showtime_says_so(signed_in, demo, django_user_model):
    slot = general_slot()
    Slot.objects.filter(pk=slot.pk).update(capacity=1)
    other = django_user_model.objects.create_user("x@example.org", DEMO_PASSWORD)
    bookings.hold_create(user=other, slot_id=slot.pk, quantity=1)
    page = signed_in.get(reverse("slot-detail", args=[slot.pk])).content.decode()
    assert "Sold out" in page
    assert "Join the waitlist" in page


def test_session_expiry_is_given_to_the_refresh_script(signed_in):
    page = signed_in.get("/").content.decode()
    assert 'data-session-expires="' in page and 'data-session-expires=""' not in page


def test_the_log_out_form_passes_csrf_and_revokes(demo):
    from django.test import Client

    def form_token(path):
        page = client.get(path).content.decode()
        return page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]

    client = Client(enforce_csrf_checks=True)
    login = {
        "email": demo.email,
        "password": DEMO_PASSWORD,
        "csrfmiddlewaretoken": form_token("/login/"),
    }
    assert client.post("/login/", login).status_code == 302
    token = form_token("/")
    assert client.post("/api/v1/auth/logout/", {}).status_code == 403  # no token, no logout
    response = client.post("/api/v1/auth/logout/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 303
    assert "You are logged out." in client.get("/").content.decode()
