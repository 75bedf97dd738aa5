from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.catalog import services as catalog
from apps.catalog.models import EventStatus
from apps.scheduling import services
from apps.scheduling.models import Slot, SlotPrice, SlotStatus
from tests.support.fixtures import client_for, grid
from tests.support.showtimes import PRICES, raw_slot

pytestmark = pytest.mark.django_db


def at(days: int, hour: int = 18) -> str:
    moment = timezone.now().replace(hour=hour, minute=0, second=0, microsecond=0)
    return (moment + timedelta(days=days)).isoformat()


def create(client, event, screen, starts_at, **extra):
    body = {"event": event.pk, "screen": screen.pk, "starts_at": starts_at, "prices": PRICES}
    body.update(extra)
    return client.post("/api/v1/slots/", body)


def test_create_reserved_slot_takes_capacity_from_the_layout(
    org_client, anon_client, event, screen
):
    response = create(org_client, event, screen, at(2))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["capacity"] == 20
    assert body["available"] == 20
    assert body["seating"] == "reserved"
    assert body["prices"] == {"premium": "15.00", "standard": "10.00"}
    # Movie slots end after the runtime unless told otherwise.
    slot = Slot.objects.get(pk=body["id"])
    assert slot.ends_at - slot.starts_at == timedelta(minutes=100)
    public = anon_client.get(f"/api/v1/slots/{slot.pk}/").json()
    assert {
        "id",
        "event",
        "starts_at",
        "ends_at",
        "venue",
        "seating",
        "capacity",
        "available",
    } <= set(public)
    assert public["venue"]["name"] == "Riverside"
    assert public["event"] == event.pk


def test_overlapping_slot_is_refused_with_the_conflict(org_client, event, screen):
    first = create(org_client, event, screen, at(2)).json()
    response = create(org_client, event, screen, at(2, 19))
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "slot_overlap"
    assert error["details"]["conflicts"][0]["id"] == first["id"]
    assert "busy" in error["message"]
    # Touching end to start is fine: [18:00, 19:40) then 19:40.
    touching = timezone.datetime.fromisoformat(first["ends_at"]).isoformat()
    assert create(org_client, event, screen, touching).status_code == 201


def test_a_cancelled_slot_frees_its_time(org_client, event, screen):
    first = create(org_client, event, screen, at(2)).json()
    response = org_client.patch(f"/api/v1/slots/{first['id']}/", {"status": "cancelled"})
    assert response.json()["status"] == "cancelled"
    assert create(org_client, event, screen, at(2, 19)).status_code == 201
    # Un-cancelling it now would overlap.
    again = org_client.patch(f"/api/v1/slots/{first['id']}/", {"status": "scheduled"})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "slot_overlap"


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({"starts_at": at(-1)}, "slot_in_past"),
        ({"ends_at": at(2, 17)}, "invalid_time_range"),
        ({"ends_at": at(2)}, "invalid_time_range"),
        ({"ends_at": at(4)}, "invalid_time_range"),
        ({"sales_close_at": at(2, 19)}, "invalid_sales_window"),
        ({"sales_open_at": at(2, 17), "sales_close_at": at(2, 16)}, "invalid_sales_window"),
        ({"prices": {"standard": "10.00"}}, "invalid_prices"),
        ({"prices": {**PRICES, "balcony": "5"}}, "invalid_prices"),
        ({"seating": "general", "capacity": 50}, "invalid_prices"),
        ({"seating": "general"}, "capacity_required"),
    ],
)
def test_slot_refusals_say_what_to_fix(org_client, event, screen, extra, code):
    body = {"starts_at": at(2), **extra}
    response = create(org_client, event, screen, **body)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == code
    assert not Slot.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"event": "x"},
        {"screen": 999999},
        {"starts_at": "tomorrow"},
        {"prices": {"standard": -1, "premium": 5}},
        {"prices": {"standard": "cheap", "premium": 5}},
        {"prices": []},
        {"prices": {}},
        {"seating": "lawn"},
        {"capacity": 10},
        {"capacity": -4, "seating": "general"},
    ],
)
def test_malformed_slot_bodies_are_400(org_client, event, screen, body):
    full = {"event": event.pk, "screen": screen.pk, "starts_at": at(2), "prices": PRICES, **body}
    response = org_client.post("/api/v1/slots/", full)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_general_admission_slot_and_its_empty_seat_map(org_client, anon_client, event, screen):
    response = create(
        org_client, event, screen, at(3), seating="general", capacity=300, prices={"general": "20"}
    )
    assert response.status_code == 201, response.content
    seats = anon_client.get(f"/api/v1/slots/{response.json()['id']}/seats/").json()
    assert seats["seats"] == []
    assert seats["available"] == 300
    assert seats["version"] == 0


def test_non_movie_events_need_an_end(org_client, organizer, screen):
    from apps.catalog import services

    play = services.event_create(
        organizer=organizer, type="play", title="Hamlet", city="Lisbon", status="published"
    )
    response = create(org_client, play, screen, at(2))
    assert response.json()["error"]["code"] == "ends_at_required"
    assert create(org_client, play, screen, at(2), ends_at=at(2, 21)).status_code == 201


def test_cancelled_event_takes_no_slots(org_client, event, screen):
    event.status = EventStatus.CANCELLED
    event.save()
    response = create(org_client, event, screen, at(2))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "event_cancelled"


def test_screen_without_layout_needs_general_admission(org_client, event, venue):
    from apps.catalog import services

    empty = services.screen_create(venue=venue, name="Empty")
    response = create(org_client, event, empty, at(2))
    assert response.json()["error"]["code"] == "layout_empty"


def test_seat_map_lists_every_seat_with_price_and_status(anon_client, org_client, event, screen):
    slot = create(org_client, event, screen, at(2)).json()
    body = anon_client.get(f"/api/v1/slots/{slot['id']}/seats/").json()
    assert body["version"] == 0
    assert len(body["seats"]) == 20
    first = body["seats"][0]
    assert set(first) >= {"id", "label", "row", "number", "category", "price", "status"}
    assert first["label"] == "A1" and first["price"] == "10.00" and first["status"] == "available"
    assert {s["price"] for s in body["seats"] if s["row"] == "D"} == {"15.00"}


def test_patch_moves_reprices_and_validates(org_client, event, screen):
    slot = create(org_client, event, screen, at(2)).json()
    url = f"/api/v1/slots/{slot['id']}/"
    moved = org_client.patch(url, {"starts_at": at(3)})
    assert moved.status_code == 200
    assert moved.json()["starts_at"].startswith(at(3)[:13])
    repriced = org_client.patch(url, {"prices": {"standard": "11", "premium": "16.5"}})
    assert repriced.json()["prices"] == {"premium": "16.50", "standard": "11.00"}
    assert org_client.patch(url, {"starts_at": at(-2)}).json()["error"]["code"] == "slot_in_past"
    assert org_client.patch(url, {"capacity": 5}).status_code == 400
    assert org_client.patch(url, {"ends_at": at(1)}).json()["error"]["code"] == "invalid_time_range"
    assert SlotPrice.objects.filter(slot_id=slot["id"]).count() == 2


def test_general_admission_capacity_can_change(org_client, event, screen):
    slot = create(
        org_client, event, screen, at(3), seating="general", capacity=300, prices={"general": "20"}
    ).json()
    response = org_client.patch(f"/api/v1/slots/{slot['id']}/", {"capacity": 250})
    assert response.json()["capacity"] == 250


def test_started_slot_cannot_be_edited(org_client, event, screen):
    slot = create(org_client, event, screen, at(2)).json()
    Slot.objects.filter(pk=slot["id"]).update(
        starts_at=timezone.now() - timedelta(minutes=5), ends_at=timezone.now() + timedelta(hours=1)
    )
    response = org_client.patch(f"/api/v1/slots/{slot['id']}/", {"status": "cancelled"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "slot_started"


def test_organizer_isolation_on_slots(org_client, rival_client, other_organizer, event, screen):
    slot = create(org_client, event, screen, at(2)).json()
    url = f"/api/v1/slots/{slot['id']}/"
    assert rival_client.patch(url, {"status": "cancelled"}).status_code == 404
    assert rival_client.delete(url).status_code == 404
    # Someone else's event or screen in a body is "does not exist".
    response = create(rival_client, event, screen, at(4))
    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"event", "screen"}
    assert org_client.delete(url).status_code == 204
    assert not Slot.objects.exists()


def test_customers_cannot_write_slots(customer_client, event, screen):
    assert create(customer_client, event, screen, at(2)).status_code == 403


def test_missing_slot_is_404(anon_client):
    assert anon_client.get("/api/v1/slots/424242/").status_code == 404
    assert anon_client.get("/api/v1/slots/424242/seats/").status_code == 404


def test_slots_of_draft_events_are_hidden_from_the_public(anon_client, org_client, event, screen):
    slot = create(org_client, event, screen, at(2)).json()
    event.status = EventStatus.DRAFT
    event.save()
    assert anon_client.get(f"/api/v1/slots/{slot['id']}/").status_code == 404
    assert org_client.get(f"/api/v1/slots/{slot['id']}/").status_code == 200


def test_slot_list_filters(anon_client, org_client, event, screen):
    for day in (1, 2, 5):
        create(org_client, event, screen, at(day))
    day2 = (timezone.now() + timedelta(days=2)).date().isoformat()
    assert anon_client.get(f"/api/v1/slots/?event={event.pk}").json()["count"] == 3
    assert anon_client.get(f"/api/v1/slots/?date_from={day2}&date_to={day2}").json()["count"] == 1
    assert (
        anon_client.get(f"/api/v1/slots/?screen={screen.pk}&date_from={day2}").json()["count"] == 2
    )
    bad = anon_client.get("/api/v1/slots/?date_from=soon")
    assert bad.status_code == 400 and "date_from" in bad.json()["error"]["details"]
    backwards = anon_client.get("/api/v1/slots/?date_from=2030-01-02&date_to=2030-01-01")
    assert backwards.status_code == 400


@pytest.fixture
def far_apart(organizer, event):
    """A late show in New York and a breakfast show in Tokyo, on different days in UTC
    than on their own clocks: New York 2030-01-15 22:00 is 2030-01-16 03:00 UTC, Tokyo
    2030-01-16 08:00 is 2030-01-15 23:00 UTC."""
    slots = {}
    for city, zone, local in (
        ("New York", "America/New_York", datetime(2030, 1, 15, 22)),
        ("Tokyo", "Asia/Tokyo", datetime(2030, 1, 16, 8)),
    ):
        venue = catalog.venue_create(organizer=organizer, name=city, city=city, timezone=zone)
        screen = catalog.screen_layout_replace(
            screen=catalog.screen_create(venue=venue, name="Main"),
            rows=grid("AB", 2, premium_rows="B"),
        )
        starts_at = local.replace(tzinfo=ZoneInfo(zone))
        slots[city] = services.slot_create(
            event=event,
            screen=screen,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=2),
            seating="reserved",
            prices=PRICES,
        )
    return slots


def test_date_filters_use_the_venues_local_day(anon_client, far_apart):
    def slots_on(day):
        response = anon_client.get(f"/api/v1/slots/?date_from={day}&date_to={day}")
        return [slot["id"] for slot in response.json()["results"]]

    assert slots_on("2030-01-15") == [far_apart["New York"].pk]
    assert slots_on("2030-01-16") == [far_apart["Tokyo"].pk]
    assert slots_on("2030-01-14") == slots_on("2030-01-17") == []


def test_event_list_date_filters_use_the_venues_local_day(anon_client, event, far_apart):
    def events_on(day):
        response = anon_client.get(f"/api/v1/events/?date_from={day}&date_to={day}")
        return [(e["id"], e["starts_at"]) for e in response.json()["results"]]

    # The event's first showtime on that local day, whatever day it is in UTC.
    assert events_on("2030-01-15") == [(event.pk, "2030-01-16T03:00:00Z")]
    assert events_on("2030-01-16") == [(event.pk, "2030-01-15T23:00:00Z")]


def test_model_constraints_hold_in_the_database(event, screen):
    start = timezone.now() + timedelta(days=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        raw_slot(event, screen, start, start, capacity=1)
    raw_slot(event, screen, start, start + timedelta(hours=1), capacity=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        raw_slot(event, screen, start, start + timedelta(hours=2), capacity=1)


@pytest.mark.postgres
def test_postgres_exclusion_constraint_refuses_overlaps_the_service_never_saw(event, screen):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    start = timezone.now() + timedelta(days=1)
    raw_slot(event, screen, start, start + timedelta(hours=2), capacity=1)
    with pytest.raises(IntegrityError, match="scheduling_slot_no_overlap"), transaction.atomic():
        raw_slot(event, screen, start + timedelta(hours=1), start + timedelta(hours=3), capacity=1)
    # Cancelled slots do not hold the screen.
    Slot.objects.update(status=SlotStatus.CANCELLED)
    raw_slot(event, screen, start + timedelta(hours=1), start + timedelta(hours=3), capacity=1)


def test_admin_sees_everything(admin_user, org_client, event, screen):
    slot = create(org_client, event, screen, at(2)).json()
    admin = client_for(admin_user)
    assert admin.patch(f"/api/v1/slots/{slot['id']}/", {"status": "cancelled"}).status_code == 200
