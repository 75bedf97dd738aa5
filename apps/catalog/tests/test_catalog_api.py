import pytest

from apps.catalog.models import Event, Movie, Screen, Seat, Venue
from tests.support.fixtures import grid

pytestmark = pytest.mark.django_db


# --- Movies


def test_movies_are_public_with_tech_specs(anon_client, movie):
    body = anon_client.get("/api/v1/movies/").json()
    assert body["count"] == 1
    assert body["results"][0] == {
        "id": movie.pk,
        "title": "Night Train",
        "synopsis": "",
        "runtime_minutes": 100,
        "rating": "PG",
        "language": "English",
        "genres": ["Thriller"],
        "formats": ["2D"],
        "poster": None,
    }
    assert anon_client.get(f"/api/v1/movies/{movie.pk}/").json()["id"] == movie.pk


def test_movie_filters_and_ordering(anon_client, organizer):
    for title, minutes, language in [("Alpha", 90, "English"), ("Beta", 150, "French")]:
        Movie.objects.create(title=title, runtime_minutes=minutes, language=language)
    assert [
        m["title"] for m in anon_client.get("/api/v1/movies/?search=alp").json()["results"]
    ] == ["Alpha"]
    assert anon_client.get("/api/v1/movies/?language=french").json()["count"] == 1
    ordered = anon_client.get("/api/v1/movies/?ordering=-runtime_minutes").json()["results"]
    assert [m["title"] for m in ordered] == ["Beta", "Alpha"]
    bad = anon_client.get("/api/v1/movies/?ordering=password")
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "validation_error"


def test_missing_movie_is_404(anon_client):
    response = anon_client.get("/api/v1/movies/999999/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_organizer_creates_and_edits_own_movie_not_others(org_client, rival_client, movie):
    response = org_client.post(
        "/api/v1/movies/",
        {"title": "Dune", "runtime_minutes": 155, "formats": ["IMAX", "2D", "IMAX"]},
    )
    assert response.status_code == 201, response.content
    assert response.json()["formats"] == ["IMAX", "2D"]
    assert org_client.patch(f"/api/v1/movies/{movie.pk}/", {"rating": "R"}).status_code == 200
    assert rival_client.patch(f"/api/v1/movies/{movie.pk}/", {"rating": "X"}).status_code == 404
    assert rival_client.delete(f"/api/v1/movies/{movie.pk}/").status_code == 404
    assert Movie.objects.get(pk=movie.pk).rating == "R"


@pytest.mark.parametrize(
    "body",
    [
        {"title": "X", "runtime_minutes": -5},
        {"title": "X", "runtime_minutes": "long"},
        {"title": "X", "runtime_minutes": 100, "formats": ["8K"]},
        {"title": "X", "runtime_minutes": 100, "genres": "drama"},
        {"runtime_minutes": 100},
        [1, 2, 3],
    ],
)
def test_bad_movie_bodies_are_400(org_client, body):
    response = org_client.post("/api/v1/movies/", body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_customers_and_anonymous_cannot_write_movies(customer_client, anon_client):
    body = {"title": "X", "runtime_minutes": 100}
    assert customer_client.post("/api/v1/movies/", body).status_code == 403
    assert anon_client.post("/api/v1/movies/", body).status_code in (401, 403)


def test_movie_shown_by_an_event_cannot_be_deleted(org_client, event, movie):
    response = org_client.delete(f"/api/v1/movies/{movie.pk}/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "in_use"
    event.delete()
    assert org_client.delete(f"/api/v1/movies/{movie.pk}/").status_code == 204


def test_admin_edits_any_movie(admin_user, movie):
    from tests.support.fixtures import client_for

    assert (
        client_for(admin_user).patch(f"/api/v1/movies/{movie.pk}/", {"rating": "G"}).status_code
        == 200
    )


# --- Venues and screens


def test_venue_crud_is_scoped_to_the_organizer(org_client, rival_client, venue):
    assert [v["id"] for v in org_client.get("/api/v1/venues/").json()["results"]] == [venue.pk]
    assert rival_client.get("/api/v1/venues/").json()["count"] == 0
    assert rival_client.get(f"/api/v1/venues/{venue.pk}/").status_code == 404
    assert rival_client.patch(f"/api/v1/venues/{venue.pk}/", {"name": "Mine"}).status_code == 404
    assert rival_client.delete(f"/api/v1/venues/{venue.pk}/").status_code == 404
    response = org_client.patch(f"/api/v1/venues/{venue.pk}/", {"address": "2 Quay"})
    assert response.json()["address"] == "2 Quay"
    created = rival_client.post(
        "/api/v1/venues/", {"name": "Hall", "city": "Porto", "timezone": "Europe/Lisbon"}
    )
    assert created.status_code == 201
    assert Venue.objects.get(pk=created.json()["id"]).organizer.email == "rival@example.org"


def test_venue_validation(org_client, venue):
    response = org_client.post(
        "/api/v1/venues/", {"name": "X", "city": "Y", "timezone": "Mars/Base"}
    )
    assert response.status_code == 400
    assert "timezone" in response.json()["error"]["details"]
    duplicate = org_client.post(
        "/api/v1/venues/", {"name": "Riverside", "city": "Lisbon", "timezone": "UTC"}
    )
    assert duplicate.status_code == 400


def test_customers_have_no_venue_endpoints(customer_client, anon_client):
    assert customer_client.get("/api/v1/venues/").status_code == 403
    assert anon_client.get("/api/v1/screens/").status_code in (401, 403)


def test_screens_scoped_and_venue_must_be_own(org_client, rival_client, venue, screen):
    body = org_client.get(f"/api/v1/screens/?venue={venue.pk}").json()
    assert body["results"][0]["seat_count"] == 20
    assert rival_client.get(f"/api/v1/screens/{screen.pk}/").status_code == 404
    response = rival_client.post("/api/v1/screens/", {"venue": venue.pk, "name": "Sneaky"})
    assert response.status_code == 400
    assert "venue" in response.json()["error"]["details"]
    created = org_client.post(
        "/api/v1/screens/", {"venue": venue.pk, "name": "Screen 2", "opening_time": "12:00"}
    )
    assert created.status_code == 201
    assert created.json()["seat_count"] == 0
    renamed = org_client.patch(f"/api/v1/screens/{screen.pk}/", {"name": "Big One"})
    assert renamed.json()["name"] == "Big One"
    assert org_client.delete(f"/api/v1/screens/{created.json()['id']}/").status_code == 204
    assert org_client.get("/api/v1/screens/?venue=abc").status_code == 400


# --- Layouts


def test_layout_put_with_aisles_and_round_trip(org_client, screen):
    rows = [
        {
            "name": "A",
            "seats": [
                {"number": 1, "category": "accessible"},
                {"number": 2},
                {"gap": 2},
                {"number": 3, "category": "premium"},
            ],
        },
        {"name": "B", "seats": [{"number": 1, "x": 4, "label": "B-1"}]},
    ]
    response = org_client.put(f"/api/v1/screens/{screen.pk}/layout/", {"rows": rows})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["seat_count"] == 4
    assert body["categories"] == {"accessible": 1, "premium": 1, "standard": 2}
    a_row = body["rows"][0]
    assert [(s["label"], s["x"]) for s in a_row["seats"]] == [("A1", 0), ("A2", 1), ("A3", 4)]
    assert body["rows"][1]["seats"][0]["label"] == "B-1"
    assert body["rows"][1]["y"] == 1
    # What GET returns can be PUT back unchanged.
    again = org_client.put(f"/api/v1/screens/{screen.pk}/layout/", {"rows": body["rows"]})
    assert again.json()["rows"] == body["rows"]
    assert again.json()["version"] == body["version"] + 1
    assert org_client.get(f"/api/v1/screens/{screen.pk}/layout/").json()["rows"] == body["rows"]


def test_layout_keeps_seat_ids_by_label(org_client, screen):
    before = dict(Seat.objects.filter(screen=screen).values_list("label", "id"))
    rows = grid("ABCD", 5, category="premium")
    rows.append({"name": "E", "seats": [{"number": 1}]})
    org_client.put(f"/api/v1/screens/{screen.pk}/layout/", {"rows": rows})
    after = dict(Seat.objects.filter(screen=screen).values_list("label", "id"))
    assert {label: after[label] for label in before} == before
    assert set(Seat.objects.filter(screen=screen).values_list("category", flat=True)) == {
        "premium",
        "standard",
    }


def test_layout_swapping_positions_keeps_unique_places(org_client, screen):
    rows = [{"name": "A", "seats": [{"number": 2}, {"number": 1}]}]
    org_client.put(f"/api/v1/screens/{screen.pk}/layout/", {"rows": rows})
    rows = [{"name": "A", "seats": [{"number": 1}, {"number": 2}]}]
    response = org_client.put(f"/api/v1/screens/{screen.pk}/layout/", {"rows": rows})
    assert response.status_code == 200
    assert [s["label"] for s in response.json()["rows"][0]["seats"]] == ["A1", "A2"]


def test_layout_with_duplicate_labels_is_refused_and_says_which(org_client, screen):
    rows = [{"name": "A", "seats": [{"number": 1}, {"number": 1}]}]
    response = org_client.put(f"/api/v1/screens/{screen.pk}/layout/", {"rows": rows})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "layout_duplicate_label"
    assert error["details"]["labels"] == ["A1"]
    assert "A1" in error["message"]
    assert Seat.objects.filter(screen=screen).count() == 20


def test_layout_with_duplicate_rows_or_seats_out_of_order_is_refused(org_client, screen):
    url = f"/api/v1/screens/{screen.pk}/layout/"
    rows = [{"name": "A", "seats": [{"number": 1}]}, {"name": "A", "seats": [{"number": 2}]}]
    assert org_client.put(url, {"rows": rows}).json()["error"]["code"] == "layout_duplicate_row"
    rows = [{"name": "A", "seats": [{"number": 1, "x": 5}, {"number": 2, "x": 1}]}]
    assert org_client.put(url, {"rows": rows}).json()["error"]["code"] == "layout_bad_position"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"rows": "A"},
        {"rows": [{"name": "A"}]},
        {"rows": [{"name": "A", "seats": []}]},
        {"rows": [{"name": "A", "seats": [{"category": "standard"}]}]},
        {"rows": [{"name": "A", "seats": [{"number": 1, "gap": 1}]}]},
        {"rows": [{"name": "A", "seats": [{"number": -1}]}]},
        {"rows": [{"name": "A", "seats": [{"number": 1, "category": "VIP Lounge!"}]}]},
        {"rows": [{"name": "A A", "seats": [{"number": 1}]}]},
        {"rows": [{"name": "A", "seats": [{"number": n} for n in range(1, 302)]}]},
    ],
)
def test_malformed_layouts_are_400(org_client, screen, body):
    response = org_client.put(f"/api/v1/screens/{screen.pk}/layout/", body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_layout_of_another_organizers_screen_is_404(rival_client, screen):
    rows = [{"name": "A", "seats": [{"number": 1}]}]
    assert (
        rival_client.put(f"/api/v1/screens/{screen.pk}/layout/", {"rows": rows}).status_code == 404
    )
    assert rival_client.get(f"/api/v1/screens/{screen.pk}/layout/").status_code == 404
    assert Screen.objects.get(pk=screen.pk).seats.count() == 20


def test_deleting_a_venue_deletes_its_screens_and_seats(org_client, venue, screen):
    assert org_client.delete(f"/api/v1/venues/{venue.pk}/").status_code == 204
    assert not Seat.objects.exists()


def test_event_model_requires_a_movie_only_for_movie_events(organizer):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Event.objects.create(organizer=organizer, type="movie", title="No film", city="X")


def test_layout_wider_than_the_map_is_refused(org_client, screen):
    rows = [{"name": "A", "seats": [{"number": n} if n % 2 else {"gap": 50} for n in range(1, 60)]}]
    response = org_client.put(f"/api/v1/screens/{screen.pk}/layout/", {"rows": rows})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "layout_too_wide"
