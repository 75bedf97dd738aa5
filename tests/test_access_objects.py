"""The access-control matrix for objects: own and foreign, per role.

Roles: anonymous, customer (owns the booking and the hold), organizer (owns the
event, venue, screen, slot, movie and slot-generation job), rival (another
organizer), admin. A foreign object in the path is 404, not 403, so its existence
is not revealed; a foreign id in a body is refused like an unknown one (400).

Each row is (method, path, body, {role: expected status}); `{name}` in a path or a
body is the id of the `world` object of that name, and `PNG` in a body is a fresh
1x1 PNG upload (the request is then multipart).
"""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from apps.accounts.models import TeamMember, TeamRole, User
from apps.bookings import services as bookings
from apps.catalog import services as catalog
from apps.catalog.models import EventStatus, EventType
from apps.operations.models import Job, MoveJob
from apps.scheduling.models import GenerationJob, ScheduleRule
from apps.scheduling.services import slot_create
from tests.support.booking import book

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


PNG = "<a 1x1 PNG upload>"
DAY = timezone.localdate() + timedelta(days=30)  # after the world's showtime, far from it
STARTS = f"{DAY.isoformat()}T18:00:00Z"
ENDS = f"{DAY.isoformat()}T20:00:00Z"
PRICES = {"standard": "10.00"}
LAYOUT = {"rows": [{"name": "A", "seats": [{"number": n} for n in range(1, 6)]}]}
NEW_SLOT = {
    "event": "{event}", "screen": "{screen}", "starts_at": STARTS, "ends_at": ENDS,
    "prices": PRICES,
}  # fmt: skip
RULE = {
    "screen": "{screen}", "mode": "times", "date_from": DAY.isoformat(),
    "date_to": DAY.isoformat(), "start_times": ["18:00"], "duration_minutes": 120,
    "prices": PRICES,
}  # fmt: skip
MOVIE = {"title": "Renamed", "runtime_minutes": 95}


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
    ("get", "/api/v1/bookings/{booking}/tickets.pdf", None, {**signed_in(404), "customer": 200}),
    ("get", "/api/v1/bookings/{booking}/calendar.ics", None, {**signed_in(404), "customer": 200}),
    ("post", "/api/v1/bookings/{booking}/cancel/", None, {**signed_in(404), "customer": 200}),
    # Giving a ticket away: whoever holds it now (the buyer here), by either path.
    ("post", "/api/v1/bookings/{booking}/tickets/{number}/transfer/",
     {"email": "friend@objects.example.org"}, {**signed_in(404), "customer": 200}),
    ("post", "/api/v1/tickets/{ticket}/transfer/", {"email": "friend@objects.example.org"},
     {**signed_in(404), "customer": 200}),
    ("delete", "/api/v1/holds/{hold}/", None, {**signed_in(404), "customer": 204}),
    # A payment's status (polled after 3-D Secure): its payer's only.
    ("get", "/api/v1/payments/{payment}/", None, {**signed_in(404), "customer": 200}),
    ("post", "/api/v1/bookings/hold-seats/", {"slot": "{slot}", "quantity": 1}, signed_in(400)),
    ("post", "/api/v1/bookings/confirm/", {"hold": "{hold}"}, signed_in(400)),
    # Waitlist: joining a showtime with free seats is refused; summaries are the organizer's.
    ("post", "/api/v1/slots/{slot}/waitlist/", {"quantity": 1}, signed_in(409)),
    ("get", "/api/v1/slots/{slot}/waitlist/", None, signed_in(404)),
    ("delete", "/api/v1/slots/{slot}/waitlist/", None, signed_in(404)),
    ("get", "/api/v1/slots/{slot}/waitlist/summary/", None, owner_only(200, customer=404)),
    # Movies: anyone reads; the organizer who added one changes it (another organizer: 404).
    ("get", "/api/v1/movies/{movie}/", None, everyone(200)),
    ("put", "/api/v1/movies/{movie}/", MOVIE, owner_only(200)),
    ("patch", "/api/v1/movies/{movie}/", {"title": "Renamed"}, owner_only(200)),
    ("delete", "/api/v1/movies/{movie}/", None, owner_only(204)),
    ("post", "/api/v1/movies/{movie}/poster/", {"file": PNG}, owner_only(200)),
    ("delete", "/api/v1/movies/{movie}/poster/", None, owner_only(204)),
    # Events: banner, slot generation and its job.
    ("post", "/api/v1/events/{event}/banner/", {"file": PNG}, owner_only(200)),
    ("delete", "/api/v1/events/{event}/banner/", None, owner_only(204)),
    ("post", "/api/v1/events/{event}/generate-slots/", RULE, owner_only(202)),
    # Not the rule's 401/403: anyone but the organizer and admins is told "no such job".
    (
        "get", "/api/v1/events/{event}/generate-slots/{job}/", None,
        owner_only(200, anonymous=404, customer=404),
    ),
    # Venues and screens are the organizer's, reads too (not public).
    ("get", "/api/v1/venues/{venue}/", None, owner_only(200)),
    ("put", "/api/v1/venues/{venue}/", {"name": "Renamed", "city": "Faro"}, owner_only(200)),
    # The owner gets past access control to the business rules (its screen has showtimes).
    ("delete", "/api/v1/venues/{venue}/", None, owner_only(409)),
    # Another organizer's venue in the body is "no such venue" (400), as an unknown id.
    ("post", "/api/v1/screens/", {"venue": "{venue}", "name": "Two"}, owner_only(201, rival=400)),
    ("get", "/api/v1/screens/{screen}/", None, owner_only(200)),
    ("put", "/api/v1/screens/{screen}/", {"venue": "{venue}", "name": "Renamed"}, owner_only(200)),
    ("patch", "/api/v1/screens/{screen}/", {"name": "Renamed"}, owner_only(200)),
    ("delete", "/api/v1/screens/{screen}/", None, owner_only(409)),
    ("put", "/api/v1/screens/{screen}/layout/", LAYOUT, owner_only(200)),
    # Slots: another organizer's event and screen in the body are unknown ids (400).
    ("post", "/api/v1/slots/", NEW_SLOT, owner_only(201, rival=400)),
    # A showtime somebody booked is not deleted (cancel it instead).
    ("delete", "/api/v1/slots/{slot}/", None, owner_only(409)),
    # The door: the organizer's staff (roles of a team: apps/checkin/tests/test_access.py).
    ("get", "/api/v1/slots/{slot}/checkin/", None, owner_only(200)),
    ("patch", "/api/v1/slots/{slot}/checkin/", {}, owner_only(200)),
    ("get", "/api/v1/slots/{slot}/checkin/list/", None, owner_only(200)),
    ("get", "/api/v1/slots/{slot}/checkin/conflicts/", None, owner_only(200)),
    ("patch", "/api/v1/events/{event}/checkin/", {"reentry": True}, owner_only(200)),
    # Past access control to the ticket check: a forged text is refused (400).
    ("post", "/api/v1/checkin/scan/", {"slot": "{slot}", "code": "forged", "gate": "g"},
     owner_only(400)),
    # Cancelling a showtime and following its job: the organizer's (and admins').
    ("get", "/api/v1/slots/{slot}/cancel/", None, owner_only(200)),
    ("post", "/api/v1/slots/{slot}/cancel/", {"reason": "Storm"}, owner_only(202)),
    ("get", "/api/v1/events/{event}/cancel/", None, owner_only(200)),
    ("post", "/api/v1/events/{event}/cancel/", {"reason": "Storm"}, owner_only(202)),
    ("get", "/api/v1/jobs/{cancel_job}/", None, owner_only(200)),
    ("post", "/api/v1/jobs/{cancel_job}/retry/", None, owner_only(202)),
    # Cancelling some tickets: the customer's own booking, or the organizer's showtime's.
    ("post", "/api/v1/bookings/{booking}/tickets/cancel/", {"tickets": [1]},
     {**signed_in(404), "customer": 200}),
    ("post", "/api/v1/slots/{slot}/bookings/{booking}/tickets/cancel/", {"tickets": [1]},
     owner_only(200)),
    # Moving bookings to another showtime of the event, and following the move job.
    ("post", "/api/v1/slots/{slot}/bookings/{booking}/move/", {"slot": "{other_slot}"},
     owner_only(200)),
    ("get", "/api/v1/slots/{slot}/move/", {"to": "{other_slot}"}, owner_only(200)),
    ("post", "/api/v1/slots/{slot}/move/", {"slot": "{other_slot}"}, owner_only(202)),
    ("get", "/api/v1/moves/{move_job}/", None, owner_only(200)),
    ("post", "/api/v1/moves/{move_job}/retry/", None, owner_only(202)),
    # The showtime's money ledger.
    ("get", "/api/v1/slots/{slot}/ledger/", None, owner_only(200)),
    # Ticket types: anyone reads a published event's; its organizer replaces them.
    ("get", "/api/v1/events/{event}/ticket-types/", None, everyone(200)),
    ("put", "/api/v1/events/{event}/ticket-types/",
     {"ticket_types": [{"code": "adult", "name": "Adult"}]}, owner_only(200)),
    # Promo codes of the event: its organizer's.
    ("get", "/api/v1/events/{event}/promo-codes/", None, owner_only(200)),
    ("post", "/api/v1/events/{event}/promo-codes/",
     {"code": "NEW-1", "kind": "fixed", "amount": "2"}, owner_only(201)),
    ("get", "/api/v1/promo-codes/{promo}/", None, owner_only(200)),
    ("patch", "/api/v1/promo-codes/{promo}/", {"active": False}, owner_only(200)),
    # The organizer's team member: an admin's own team is another (empty) team.
    ("delete", "/api/v1/team/members/{member}/", None, {**owner_only(204), "admin": 404}),
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
    movie = catalog.movie_create(created_by=owner, title="Film", runtime_minutes=90)
    rule = ScheduleRule.objects.create(
        event=event, screen=screen, mode=ScheduleRule.Mode.TIMES, date_from=start.date(),
        date_to=start.date(), start_times=["18:00"], prices={"standard": "10.00"},
    )  # fmt: skip
    job = GenerationJob.objects.create(rule=rule)
    seats = list(screen.seats.values_list("id", flat=True))
    booking = book(users["customer"], slot.pk, seat_ids=seats[:1])
    hold = bookings.hold_create(user=users["customer"], slot_id=slot.pk, seat_ids=seats[1:2])
    worker = User.objects.create_user("worker@objects.example.org", None)
    member = TeamMember.objects.create(organizer=owner, user=worker, role=TeamRole.SCANNER)
    # A finished cancellation of another showtime of the organizer's.
    other = slot_create(
        event=event, screen=screen, starts_at=start + timedelta(hours=3),
        ends_at=start + timedelta(hours=5), seating="reserved", prices={"standard": "10.00"},
    )  # fmt: skip
    cancel_job = Job.objects.create(organizer=owner, slot=other, reason="x", status="done")
    move_job = MoveJob.objects.create(organizer=owner, slot=other, to_slot=slot, status="done")
    promo = bookings.promo_code_create(event=event, code="OLD", kind="fixed", amount=1)
    ids = {
        "event": event.pk, "venue": venue.pk, "screen": screen.pk, "slot": slot.pk,
        "booking": booking.pk, "hold": hold.pk, "movie": movie.pk, "job": job.pk,
        "member": member.pk, "cancel_job": cancel_job.pk, "move_job": move_job.pk,
        "other_slot": other.pk, "promo": promo.pk,
        "ticket": booking.tickets.get().pk, "number": 1,
        "payment": booking.payments.get().pk,
    }  # fmt: skip
    clients = {"anonymous": APIClient()}
    for role, user in users.items():
        clients[role] = APIClient()
        clients[role].force_authenticate(user)
    return clients, ids


def png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buffer, "PNG")
    return SimpleUploadedFile("pixel.png", buffer.getvalue(), content_type="image/png")


def fill(value, ids):
    """The row's path or body with the world's ids in place of `{name}`, uploads for `PNG`."""
    if value == PNG:
        return png()
    if isinstance(value, str):
        if value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
            return ids[value[1:-1]]
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    return value


@pytest.mark.parametrize(("method", "path", "body", "expected"), MATRIX)
@pytest.mark.parametrize("role", ROLES)
def test_object_access_matrix(world, role, method, path, body, expected):
    clients, ids = world
    upload = isinstance(body, dict) and PNG in body.values()
    response = getattr(clients[role], method)(
        str(fill(path, ids)), fill(body, ids), format="multipart" if upload else "json"
    )
    assert response.status_code == expected[role], response.content[:300]
