from datetime import timedelta

import pytest
from django.utils import timezone

from apps.catalog import services as catalog
from apps.catalog.models import Event, EventStatus
from apps.scheduling import services
from apps.scheduling.models import Slot
from tests.support.fixtures import client_for, grid
from tests.support.showtimes import PRICES

pytestmark = pytest.mark.django_db


def slot_at(event, screen, days, hour=18):
    start = timezone.now().replace(hour=hour, minute=0, second=0, microsecond=0)
    return services.slot_create(
        event=event,
        screen=screen,
        starts_at=start + timedelta(days=days),
        ends_at=start + timedelta(days=days, hours=1),
        seating="reserved",
        prices=PRICES,
    )


@pytest.fixture
def catalog_data(organizer, other_organizer, movie, screen, venue):
    """A movie (in 3 days), a concert in Porto (in 1 day), a play (in 5), a draft, a rival's."""
    make = lambda owner, **f: catalog.event_create(  # noqa: E731
        organizer=owner, status=EventStatus.PUBLISHED, **{"city": "Lisbon", **f}
    )
    events = {
        "film": make(
            organizer,
            type="movie",
            title="Zebra Crossing",
            movie=movie,
            description="A road movie.",
        ),
        "concert": make(organizer, type="concert", title="Blue Harbour", city="Porto"),
        "play": make(organizer, type="play", title="Macbeth", description="Scottish play"),
        "draft": catalog.event_create(
            organizer=organizer, type="play", title="Secret", city="Lisbon"
        ),
        "rival": make(other_organizer, type="concert", title="Rival Gig"),
        "bare": make(organizer, type="play", title="No Dates Yet"),
    }
    screens = [screen] + [
        catalog.screen_layout_replace(
            screen=catalog.screen_create(venue=venue, name=f"S{i}"),
            rows=grid("AD", 2, premium_rows="D"),
        )
        for i in range(4)
    ]
    slot_at(events["film"], screens[0], 3)
    slot_at(events["concert"], screens[1], 1)
    slot_at(events["play"], screens[2], 5)
    slot_at(events["draft"], screens[3], 2)
    slot_at(events["rival"], screens[4], 4)
    return events


def titles(response):
    assert response.status_code == 200, response.content
    return [e["title"] for e in response.json()["results"]]


def test_public_list_shows_published_events_soonest_first(anon_client, catalog_data):
    assert titles(anon_client.get("/api/v1/events/")) == [
        "Blue Harbour",
        "Zebra Crossing",
        "Rival Gig",
        "Macbeth",
        "No Dates Yet",
    ]


def test_each_filter(anon_client, catalog_data):
    get = lambda q: titles(anon_client.get(f"/api/v1/events/?{q}"))  # noqa: E731
    assert get("search=zebra") == ["Zebra Crossing"]
    assert get("search=scottish") == ["Macbeth"]
    assert get("search=night+train") == ["Zebra Crossing"]  # the movie's title
    assert get("type=concert") == ["Blue Harbour", "Rival Gig"]
    assert get("type=play") == ["Macbeth", "No Dates Yet"]
    assert get("city=porto") == ["Blue Harbour"]
    today = timezone.now().date()
    day = lambda n: (today + timedelta(days=n)).isoformat()  # noqa: E731
    assert get(f"date_from={day(3)}") == ["Zebra Crossing", "Rival Gig", "Macbeth"]
    assert get(f"date_to={day(3)}") == ["Blue Harbour", "Zebra Crossing"]
    assert get(f"date_from={day(2)}&date_to={day(4)}") == ["Zebra Crossing", "Rival Gig"]
    assert get(f"type=play&date_from={day(1)}") == ["Macbeth"]


def test_each_ordering(anon_client, catalog_data):
    get = lambda q: titles(anon_client.get(f"/api/v1/events/?ordering={q}"))  # noqa: E731
    assert get("starts_at")[:4] == ["Blue Harbour", "Zebra Crossing", "Rival Gig", "Macbeth"]
    assert get("-starts_at") == [
        "Macbeth",
        "Rival Gig",
        "Zebra Crossing",
        "Blue Harbour",
        "No Dates Yet",
    ]
    assert get("title") == sorted(get("title"))
    assert get("-title") == sorted(get("title"), reverse=True)


def test_list_items_carry_the_next_showtime(anon_client, catalog_data):
    film = next(
        e for e in anon_client.get("/api/v1/events/").json()["results"] if e["type"] == "movie"
    )
    assert film["starts_at"] is not None
    assert film["movie"]["runtime_minutes"] == 100
    bare = anon_client.get("/api/v1/events/?search=no+dates").json()["results"][0]
    assert bare["starts_at"] is None


@pytest.mark.parametrize(
    "query",
    [
        "type=opera",
        "date_from=yesterday",
        "date_to=2030-13-01",
        "ordering=price",
        "date_from=2030-01-05&date_to=2030-01-01",
        "search=" + "x" * 101,
        "page=0",
        "page=abc",
    ],
)
def test_bad_filters_are_400_in_the_error_shape(anon_client, catalog_data, query):
    response = anon_client.get(f"/api/v1/events/?{query}")
    assert response.status_code in (400, 404)
    error = response.json()["error"]
    assert error["code"] in ("validation_error", "not_found")
    if not query.startswith("page"):
        assert response.status_code == 400


def test_pagination_limits(anon_client, organizer):
    Event.objects.bulk_create(
        [
            Event(
                organizer=organizer, type="play", title=f"Play {i:03}", city="X", status="published"
            )
            for i in range(105)
        ]
    )
    body = anon_client.get("/api/v1/events/?page_size=100").json()
    assert body["count"] == 105 and len(body["results"]) == 100
    response = anon_client.get("/api/v1/events/?page_size=500")  # past the maximum: refused
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"page_size": ["At most 100."]}
    body = anon_client.get("/api/v1/events/?page_size=10&page=3&ordering=title").json()
    assert [e["title"] for e in body["results"]][0] == "Play 020"
    assert body["next"] and body["previous"]
    assert anon_client.get("/api/v1/events/?page=99").status_code == 404


def test_detail_with_upcoming_slots_only(anon_client, catalog_data, event, screen):
    film = catalog_data["film"]
    past = Slot.objects.get(event=film)
    Slot.objects.filter(pk=past.pk).update(
        starts_at=timezone.now() - timedelta(days=1),
        ends_at=timezone.now() - timedelta(days=1) + timedelta(hours=1),
    )
    upcoming = slot_at(film, screen, 6)
    body = anon_client.get(f"/api/v1/events/{film.pk}/").json()
    assert body["description"] == "A road movie."
    assert [s["id"] for s in body["slots"]] == [upcoming.pk]
    assert body["slots"][0]["available"] == 20
    assert body["slots"][0]["venue"]["city"] == "Lisbon"


def test_missing_and_hidden_events_are_404(anon_client, customer_client, catalog_data):
    assert anon_client.get("/api/v1/events/987654/").status_code == 404
    draft = catalog_data["draft"]
    assert anon_client.get(f"/api/v1/events/{draft.pk}/").status_code == 404
    assert customer_client.get(f"/api/v1/events/{draft.pk}/").status_code == 404


def test_organizer_sees_own_drafts_not_others(org_client, rival_client, catalog_data):
    assert "Secret" in titles(org_client.get("/api/v1/events/?type=play"))
    assert "Secret" not in titles(rival_client.get("/api/v1/events/?type=play"))
    draft = catalog_data["draft"]
    assert org_client.get(f"/api/v1/events/{draft.pk}/").json()["slots"]


def test_organizer_isolation_for_writes(rival_client, catalog_data):
    film = catalog_data["film"]
    assert rival_client.get(f"/api/v1/events/{film.pk}/").status_code == 200  # public read
    assert rival_client.patch(f"/api/v1/events/{film.pk}/", {"title": "Mine"}).status_code == 404
    assert rival_client.delete(f"/api/v1/events/{film.pk}/").status_code == 404
    assert Event.objects.get(pk=film.pk).title == "Zebra Crossing"


def test_create_edit_and_delete_an_event(org_client, movie):
    response = org_client.post(
        "/api/v1/events/",
        {"type": "movie", "title": "Premiere", "city": "Lisbon", "movie": movie.pk},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft" and body["slots"] == [] and body["movie"]["id"] == movie.pk
    url = f"/api/v1/events/{body['id']}/"
    assert org_client.patch(url, {"status": "published"}).json()["status"] == "published"
    assert org_client.delete(url).status_code == 204
    assert not Event.objects.filter(pk=body["id"]).exists()


@pytest.mark.parametrize(
    "body",
    [
        {"type": "movie", "title": "No film", "city": "X"},
        {"type": "concert", "title": "Film?", "city": "X", "movie": "MOVIE"},
        {"type": "opera", "title": "X", "city": "X"},
        {"type": "play", "city": "X"},
        {"type": "play", "title": "X", "city": "X", "status": "gone"},
        {"type": "movie", "title": "X", "city": "X", "movie": 987654},
        "just a string",
    ],
)
def test_bad_event_bodies_are_400(org_client, movie, body):
    if isinstance(body, dict) and body.get("movie") == "MOVIE":
        body = {**body, "movie": movie.pk}
    response = org_client.post("/api/v1/events/", body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_changing_a_movie_event_into_a_concert_must_drop_the_movie(org_client, event):
    url = f"/api/v1/events/{event.pk}/"
    assert org_client.patch(url, {"type": "concert"}).status_code == 400
    assert org_client.patch(url, {"type": "concert", "movie": None}).status_code == 200


def test_event_with_slots_cannot_be_deleted(org_client, catalog_data):
    film = catalog_data["film"]
    response = org_client.delete(f"/api/v1/events/{film.pk}/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "in_use"
    assert "cancel" in response.json()["error"]["message"]


def test_customers_cannot_create_events(customer_client):
    body = {"type": "play", "title": "X", "city": "X"}
    assert customer_client.post("/api/v1/events/", body).status_code == 403


def test_admin_edits_any_event(admin_user, catalog_data):
    rival = catalog_data["rival"]
    response = client_for(admin_user).patch(f"/api/v1/events/{rival.pk}/", {"city": "Faro"})
    assert response.json()["city"] == "Faro"


def test_public_reads_are_cached_and_invalidated_by_writes(
    anon_client,
    org_client,
    catalog_data,
    django_capture_on_commit_callbacks,
    django_assert_num_queries,
):
    film = catalog_data["film"]
    url = f"/api/v1/events/{film.pk}/"
    anon_client.get(url)
    anon_client.get("/api/v1/events/")
    with django_assert_num_queries(0):
        assert anon_client.get("/api/v1/events/").status_code == 200
    # The cached detail reads only the live places left (inventory and seat claims).
    with django_assert_num_queries(2):
        assert anon_client.get(url).json()["title"] == "Zebra Crossing"
    with django_capture_on_commit_callbacks(execute=True):
        org_client.patch(url, {"title": "Zebra Crossing (4K)"})
    assert anon_client.get(url).json()["title"] == "Zebra Crossing (4K)"
    assert "Zebra Crossing (4K)" in titles(anon_client.get("/api/v1/events/"))
    # A new slot is a write too.
    with django_capture_on_commit_callbacks(execute=True):
        slot_at(film, catalog_data["film"].slots.first().screen, 7)
    assert len(anon_client.get(url).json()["slots"]) == 2


def test_cached_event_detail_still_reports_live_availability(
    anon_client, catalog_data, monkeypatch
):
    from apps.scheduling import selectors

    film = catalog_data["film"]
    url = f"/api/v1/events/{film.pk}/"
    assert anon_client.get(url).json()["slots"][0]["available"] == 20
    monkeypatch.setattr(
        selectors, "slot_availability_map", lambda caps: {k: v - 3 for k, v in caps.items()}
    )
    assert anon_client.get(url).json()["slots"][0]["available"] == 17
