from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.bookings.models import Booking, Hold
from tests.support.booking import api_confirm, api_hold

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer(customer):
    client = APIClient()
    client.force_authenticate(customer)
    return client


def test_customer_journey(buyer, reserved_slot, seat_ids):
    response = api_hold(buyer, reserved_slot.pk, seats=seat_ids[:2])
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) >= {"id", "slot", "seats", "quantity", "total", "expires_at"}
    assert body["seats"] == sorted(seat_ids[:2]) and body["total"] == "20.00"

    holds = buyer.get("/api/v1/holds/").json()
    assert holds["count"] == 1 and holds["results"][0]["id"] == body["id"]

    seats = buyer.get(f"/api/v1/slots/{reserved_slot.pk}/seats/").json()
    statuses = {s["id"]: s["status"] for s in seats["seats"]}
    assert statuses[seat_ids[0]] == "held"

    booked = api_confirm(buyer, body["id"])
    assert booked.status_code == 201, booked.content
    booking = booked.json()
    assert booking["status"] == "confirmed" and booking["reference"]
    assert set(booking) >= {"id", "reference", "status", "slot", "seats", "quantity", "total"}

    replay = api_confirm(buyer, body["id"])
    assert replay.status_code == 201 and replay.json() == booking
    assert replay["Idempotent-Replayed"] == "true"

    detail = buyer.get(f"/api/v1/bookings/{booking['id']}/").json()
    assert len(detail["tickets"]) == 2
    listing = buyer.get("/api/v1/bookings/").json()
    assert listing["count"] == 1

    slot = buyer.get(f"/api/v1/slots/{reserved_slot.pk}/").json()
    assert slot["available"] == 18

    cancelled = buyer.post(f"/api/v1/bookings/{booking['id']}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json() == {"status": "cancelled"}
    again = buyer.post(f"/api/v1/bookings/{booking['id']}/cancel/")
    assert again.status_code == 409


def test_seat_unavailable_lists_the_taken_seats(buyer, organizer, reserved_slot, seat_ids):
    other = APIClient()
    other.force_authenticate(organizer)
    assert api_hold(other, reserved_slot.pk, seats=[seat_ids[1]]).status_code == 201
    response = api_hold(buyer, reserved_slot.pk, seats=seat_ids[:3])
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "seat_unavailable"
    assert error["details"]["seats"] == [seat_ids[1]]


def test_release_hold(buyer, reserved_slot, seat_ids):
    hold_id = api_hold(buyer, reserved_slot.pk, seats=seat_ids[:1]).json()["id"]
    assert buyer.delete(f"/api/v1/holds/{hold_id}/").status_code == 204
    assert buyer.delete(f"/api/v1/holds/{hold_id}/").status_code == 404


def test_general_admission_hold(buyer, general_slot):
    response = api_hold(buyer, general_slot.pk, quantity=3)
    assert response.status_code == 201
    assert response.json()["seats"] == [] and response.json()["quantity"] == 3
    seats = buyer.get(f"/api/v1/slots/{general_slot.pk}/seats/").json()
    assert seats["seats"] == [] and seats["available"] == 27


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"slot": "abc", "seats": [1]},
        {"slot": 1, "seats": "1,2"},
        {"slot": 1, "seats": ["x"]},
        {"slot": 1, "seats": [-3]},
        {"slot": 1, "quantity": -2},
        {"slot": 1, "quantity": 0},
        {"slot": 1, "seats": [1], "quantity": 1},
        {"slot": 1, "seats": list(range(1, 10_000))},
        {"slot": 10**30, "quantity": 1},
        {"slot": 1, "quantity": 1, "unknown": {"deep": [1, 2]}},
        [1, 2, 3],
    ],
)
def test_malformed_hold_bodies_are_4xx(buyer, body):
    response = buyer.post("/api/v1/bookings/hold-seats/", body, format="json")
    assert 400 <= response.status_code < 500, response.content
    assert "error" in response.json()


def test_too_many_seats_has_its_code(buyer, reserved_slot, seat_ids):
    response = api_hold(buyer, reserved_slot.pk, seats=seat_ids[:11])
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "too_many_seats"


def test_wrong_seating_kind(buyer, reserved_slot, general_slot, seat_ids):
    response = api_hold(buyer, reserved_slot.pk, quantity=2)
    assert response.json()["error"]["code"] == "seating_mismatch"
    assert (
        api_hold(buyer, general_slot.pk, seats=seat_ids[:1]).json()["error"]["code"]
        == "seating_mismatch"
    )


def test_confirm_needs_an_idempotency_key(buyer, reserved_slot, seat_ids):
    hold_id = api_hold(buyer, reserved_slot.pk, seats=seat_ids[:1]).json()["id"]
    response = buyer.post(
        "/api/v1/bookings/confirm/",
        {"hold": hold_id, "payment": {"method": "test", "token": "ok"}},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_required"


@pytest.mark.parametrize(
    ("token", "status", "code"),
    [("decline", 402, "payment_declined"), ("error", 502, "payment_provider_error")],
)
def test_confirm_payment_failures(buyer, reserved_slot, seat_ids, token, status, code):
    hold_id = api_hold(buyer, reserved_slot.pk, seats=seat_ids[:1]).json()["id"]
    response = api_confirm(buyer, hold_id, token=token)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert Hold.objects.filter(pk=hold_id).exists()
    assert not Booking.objects.exists()


def test_a_method_not_offered_is_refused_but_its_payments_still_refund(
    buyer, customer, reserved_slot, seat_ids, settings, django_capture_on_commit_callbacks
):
    from apps.bookings import services
    from apps.bookings.models import Payment
    from tests.support.booking import book

    paid = book(customer, reserved_slot.pk, seat_ids=seat_ids[1:2])  # with `test`, earlier
    settings.VENUE_PAYMENT_METHODS = ["stripe"]  # a site taking real money only
    hold_id = api_hold(buyer, reserved_slot.pk, seats=seat_ids[:1]).json()["id"]
    response = api_confirm(buyer, hold_id)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_payment_method"
    assert response.json()["error"]["details"]["methods"] == []  # stripe is not configured
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_cancel(user=customer, booking_id=paid.pk)
    assert Payment.objects.get(booking=paid).status == Payment.Status.REFUNDED


def test_confirm_expired_hold_is_410(buyer, reserved_slot, seat_ids):
    hold_id = api_hold(buyer, reserved_slot.pk, seats=seat_ids[:1]).json()["id"]
    Hold.objects.filter(pk=hold_id).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = api_confirm(buyer, hold_id)
    assert response.status_code == 410
    assert response.json()["error"]["code"] == "hold_expired"


def test_confirm_same_key_other_body_is_422(buyer, reserved_slot, general_slot, seat_ids):
    first = api_hold(buyer, reserved_slot.pk, seats=seat_ids[:1]).json()["id"]
    second = api_hold(buyer, general_slot.pk, quantity=1).json()["id"]
    assert api_confirm(buyer, first).status_code == 201
    response = api_confirm(buyer, second)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"hold": "x", "payment": {"method": "test", "token": "ok"}},
        {"hold": 1, "payment": "ok"},
        {"hold": 1, "payment": {"method": "bitcoin", "token": "ok"}},
        {"hold": 1},
    ],
)
def test_malformed_confirm_bodies_are_4xx(buyer, body):
    response = buyer.post(
        "/api/v1/bookings/confirm/", body, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert 400 <= response.status_code < 500, response.content


def test_other_peoples_bookings_are_404(buyer, organizer, reserved_slot, seat_ids):
    hold_id = api_hold(buyer, reserved_slot.pk, seats=seat_ids[:1]).json()["id"]
    booking_id = api_confirm(buyer, hold_id).json()["id"]
    other = APIClient()
    other.force_authenticate(organizer)
    assert other.get(f"/api/v1/bookings/{booking_id}/").status_code == 404
    assert other.post(f"/api/v1/bookings/{booking_id}/cancel/").status_code == 404
    assert other.delete(f"/api/v1/holds/{hold_id}/").status_code == 404
    assert other.get("/api/v1/bookings/").json()["count"] == 0


def test_anonymous_cannot_book(reserved_slot, seat_ids):
    client = APIClient()
    assert api_hold(client, reserved_slot.pk, seats=seat_ids[:1]).status_code == 401
    assert client.get("/api/v1/bookings/").status_code == 401
    assert client.get("/api/v1/holds/").status_code == 401


def test_a_booking_stays_within_its_statement_budget(
    buyer,
    reserved_slot,
    seat_ids,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
):
    """The hot path's SQL statements, seat-map broadcasts included: each costs about half a
    millisecond of server CPU (README, "Figures measured"). Under the test's transaction
    every BEGIN/COMMIT pair shows up as SAVEPOINT/RELEASE; the confirm's count includes
    the confirmation email task (2 reads), which runs eagerly in tests, and the ledger's
    charge row (1 insert, in step 3's transaction). The hold's 11 include the read of
    the event's ticket types (one, whether or not the event has any)."""
    with django_assert_max_num_queries(11), django_capture_on_commit_callbacks(execute=True):
        held = api_hold(buyer, reserved_slot.pk, seats=seat_ids[:2])
    assert held.status_code == 201, held.content
    with django_assert_max_num_queries(28), django_capture_on_commit_callbacks(execute=True):
        booked = api_confirm(buyer, held.json()["id"])
    assert booked.status_code == 201, booked.content


def test_the_ticket_cap_costs_a_hold_two_statements(
    buyer, event, reserved_slot, seat_ids, django_capture_on_commit_callbacks
):
    """An event with a per-customer cap adds exactly the advisory lock and the count to a
    hold; one without adds nothing (the event comes with the showtime)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.catalog.services import event_update

    def hold_statements(seats) -> list[str]:
        with (
            CaptureQueriesContext(connection) as queries,
            django_capture_on_commit_callbacks(execute=True),
        ):
            assert api_hold(buyer, reserved_slot.pk, seats=seats).status_code == 201
        return [q["sql"] for q in queries.captured_queries]

    hold_statements(seat_ids[:2])  # so that each measured hold replaces one
    uncapped = hold_statements(seat_ids[2:4])
    event_update(event=event, max_tickets_per_customer=4)
    capped = hold_statements(seat_ids[4:6])
    assert len(capped) == len(uncapped) + (2 if connection.vendor == "postgresql" else 1)
    assert any("pg_advisory_xact_lock" in sql for sql in capped) == (
        connection.vendor == "postgresql"
    )
