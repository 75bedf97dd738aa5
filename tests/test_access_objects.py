"""The access-control matrix for objects: own and foreign, per role.

Roles: anonymous, customer (owns the booking and the hold), organizer (owns the
event, venue, screen and slot), rival (another organizer), admin. A foreign
object is 404, not 403, so its existence is not revealed.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.bookings import services as bookings
from apps.catalog import services as catalog
from apps.catalog.models import EventStatus, EventType
from apps.scheduling.services import slot_create

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "customer", "organizer", "rival", "admin")


def everyone(status):
    return dict.fromkeys(ROLES, status)


def signed_in(status, anonymous=401):
    return {**everyone(status), "anonymous": anonymous}


def owner_only(ok, *, anonymous=401, customer=403, rival=404):
    return {
        "anonymous": anonymous,
        "customer": customer,
        "organizer": ok,
        "rival": rival,
        "admin": ok,
    }


MATRIX = [
    # Catalog reads are public.
    ("get", "/api/v1/events/", None, everyone(200)),
    ("get", "/api/v1/events/{event}/", None, everyone(200)),
    ("get", "/api/v1/movies/", None, everyone(200)),
    ("get", "/api/v1/slots/{slot}/", None, everyone(200)),
    ("get", "/api/v1/slots/{slot}/seats/", None, everyone(200)),
    # Organizer writes: their own objects only; another organizer's are 404.
    ("patch", "/api/v1/events/{event}/", {"title": "Renamed"}, owner_only(200)),
    # The owner gets past access control to the business rules (an event with showtimes stays).
    ("delete", "/api/v1/events/{event}/", None, owner_only(409)),
    ("patch", "/api/v1/venues/{venue}/", {"name": "Renamed"}, owner_only(200)),
    ("get", "/api/v1/screens/{screen}/layout/", None, owner_only(200)),
    ("patch", "/api/v1/slots/{slot}/", {"capacity": 20}, owner_only(400)),
    # Bookings: the customer's own; everyone else 404.
    ("get", "/api/v1/bookings/", None, signed_in(200)),
    ("get", "/api/v1/holds/", None, signed_in(200)),
    ("get", "/api/v1/bookings/{booking}/", None, {**signed_in(404), "customer": 200}),
    ("post", "/api/v1/bookings/{booking}/cancel/", None, {**signed_in(404), "customer": 200}),
    ("delete", "/api/v1/holds/{hold}/", None, {**signed_in(404), "customer": 204}),
    ("post", "/api/v1/bookings/hold-seats/", {"slot": "{slot}", "quantity": 1}, signed_in(400)),
    ("post", "/api/v1/bookings/confirm/", {"hold": "{hold}"}, signed_in(400)),
    # Waitlist: joining a showtime with free seats is refused; summaries are the organizer's.
    ("post", "/api/v1/slots/{slot}/waitlist/", {"quantity": 1}, signed_in(409)),
    ("get", "/api/v1/slots/{slot}/waitlist/", None, signed_in(404)),
    ("delete", "/api/v1/slots/{slot}/waitlist/", None, signed_in(404)),
    ("get", "/api/v1/slots/{slot}/waitlist/summary/", None, owner_only(200, customer=404)),
]  # fmt: skip


@pytest.fixture
def world():
    users = {
        role: User.objects.create_user(f"{role}@objects.example.org", None, role=role_name)
        for role, role_name in (
            ("customer", "customer"),
            ("organizer", "organizer"),
            ("rival", "organizer"),
            ("admin", "admin"),
        )
    }
    owner = users["organizer"]
    venue = catalog.venue_create(organizer=owner, name="Hall", city="Faro")
    screen = catalog.screen_create(venue=venue, name="One")
    rows = [{"name": "A", "seats": [{"number": n, "category": "standard"} for n in range(1, 6)]}]
    screen = catalog.screen_layout_replace(screen=screen, rows=rows)
    event = catalog.event_create(
        organizer=owner, type=EventType.CONCERT, title="Gig", city="Faro",
        status=EventStatus.PUBLISHED,
    )  # fmt: skip
    start = timezone.now() + timedelta(days=2)
    slot = slot_create(
        event=event, screen=screen, starts_at=start, ends_at=start + timedelta(hours=2),
        seating="reserved", prices={"standard": "10.00"},
    )  # fmt: skip
    seats = list(screen.seats.values_list("id", flat=True))
    booked = bookings.hold_create(user=users["customer"], slot_id=slot.pk, seat_ids=seats[:1])
    outcome = bookings.booking_confirm(
        user=users["customer"], hold_id=booked.pk, method="test", token="ok",
        key="objects", fingerprint="objects",
    )  # fmt: skip
    hold = bookings.hold_create(user=users["customer"], slot_id=slot.pk, seat_ids=seats[1:2])
    ids = {
        "event": event.pk, "venue": venue.pk, "screen": screen.pk, "slot": slot.pk,
        "booking": outcome.body["id"], "hold": hold.pk,
    }  # fmt: skip
    clients = {"anonymous": APIClient()}
    for role, user in users.items():
        clients[role] = APIClient()
        clients[role].force_authenticate(user)
    return clients, ids


def fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: int(fill(v, ids)) if v in ("{slot}", "{hold}") else v for k, v in value.items()}
    return value


@pytest.mark.parametrize(("method", "path", "body", "expected"), MATRIX)
@pytest.mark.parametrize("role", ROLES)
def test_object_access_matrix(world, role, method, path, body, expected):
    clients, ids = world
    response = getattr(clients[role], method)(fill(path, ids), fill(body, ids), format="json")
    assert response.status_code == expected[role], response.content[:300]
