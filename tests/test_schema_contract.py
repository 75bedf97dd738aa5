"""What `VenueAutoSchema` declares, and the server refusals that back it (the schemathesis
run in tests/test_openapi_conformance.py found each)."""

import pytest
from django.test import Client

from tests.support.fixtures import client_for, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    return response.json()


def _op(schema, path, method):
    return schema["paths"][path][method]


def test_every_error_response_has_the_error_shape(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert {"429", "503"} <= set(operation["responses"]), (method, path)
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    content = response["content"]["application/json"]["schema"]
                    assert content == {"$ref": "#/components/schemas/Error"}, (method, path)
                    assert response["description"], (method, path, status)


def test_public_reads_allow_anonymous_access_and_writes_do_not(schema):
    assert {} in _op(schema, "/api/v1/events/", "get")["security"]
    assert {} in _op(schema, "/api/v1/slots/{id}/seats/", "get")["security"]
    assert {} not in _op(schema, "/api/v1/events/", "post")["security"]
    assert {} not in _op(schema, "/api/v1/bookings/", "get")["security"]


def test_lists_are_paginated_with_bounded_parameters(schema):
    operation = _op(schema, "/api/v1/slots/", "get")
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/PaginatedSlotList"}
    parameters = {p["name"]: p for p in operation["parameters"]}
    page_size = parameters["page_size"]["schema"]
    assert (page_size["minimum"], page_size["maximum"]) == (1, 100)
    assert parameters["page"]["schema"]["minimum"] == 1
    assert parameters["event"]["schema"] == {"type": "integer", "minimum": 1}
    assert parameters["event"]["allowEmptyValue"] is True  # `?event=` is no filter
    assert {"400", "404"} <= set(operation["responses"])


def test_ids_start_at_1_and_deletes_say_when_they_conflict(schema):
    operation = _op(schema, "/api/v1/events/{id}/generate-slots/{job_id}/", "get")
    assert all(p["schema"]["minimum"] == 1 for p in operation["parameters"] if p["in"] == "path")
    for path in ("/api/v1/events/{id}/", "/api/v1/slots/{id}/", "/api/v1/venues/{id}/"):
        assert "409" in _op(schema, path, "delete")["responses"], path


def test_a_path_id_that_is_not_a_number_is_a_404_not_a_500():
    organizer = make_user("org@example.org", "organizer")
    for path in ("/api/v1/events/null,null/generate-slots/1/", "/api/v1/slots/x/"):
        response = client_for(organizer).get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"


def test_text_fields_take_text_not_numbers():
    organizer = make_user("org@example.org", "organizer")
    response = client_for(organizer).post(
        "/api/v1/movies/", {"title": 0, "runtime_minutes": 90}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"title"}
    # The length is that of what was sent, as the schema's maxLength counts it.
    response = client_for(organizer).post(
        "/api/v1/movies/", {"title": "\t" + "x" * 200, "runtime_minutes": 90}, format="json"
    )
    assert response.status_code == 400


def test_an_ordering_that_names_no_field_is_a_400_not_an_unordered_page():
    response = Client().get("/api/v1/movies/?ordering=,")
    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"ordering"}
    assert Client().get("/api/v1/movies/?ordering=").status_code == 200
