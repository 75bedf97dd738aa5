import pytest
from django.test import Client, override_settings

pytestmark = [pytest.mark.django_db, pytest.mark.urls("apps.core.tests.urls")]


def error_of(response):
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details", "request_id"}
    assert body["error"]["request_id"] == response["X-Request-ID"]
    return body["error"]


def test_unexpected_exception_is_a_500_in_the_error_shape_without_traceback(api_client, caplog):
    response = api_client.get("/api/test/boom/")
    assert response.status_code == 500
    error = error_of(response)
    assert error["code"] == "server_error"
    assert "secret internal detail" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    # The details go to the log instead, with the request id.
    record = next(r for r in caplog.records if r.name == "venue.errors")
    assert record.exc_info and "secret internal detail" in str(record.exc_info[1])
    assert record.request_id == error["request_id"]


def test_application_error_keeps_its_code_status_and_details(api_client):
    response = api_client.get("/api/test/conflict/")
    assert response.status_code == 409
    error = error_of(response)
    assert error == {
        "code": "seat_unavailable",
        "message": "Seat F12 is taken.",
        "details": {"seats": [12]},
        "request_id": response["X-Request-ID"],
    }


def test_validation_error_lists_fields(api_client):
    response = api_client.post("/api/test/echo/", {"quantity": -1}, format="json")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert "quantity" in error["details"]


def test_malformed_json_is_a_400(api_client):
    response = api_client.post("/api/test/echo/", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "malformed_request"


def test_unsupported_media_type_is_a_415(api_client):
    response = api_client.post("/api/test/echo/", data="quantity=1", content_type="text/plain")
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


def test_method_not_allowed_is_a_405(api_client):
    response = api_client.delete("/api/test/echo/")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_not_authenticated_is_a_401_or_403_in_the_error_shape(api_client):
    response = api_client.get("/api/test/private/")
    assert response.status_code in (401, 403)
    assert error_of(response)["code"] in ("not_authenticated", "permission_denied")


def test_throttled_is_a_429_with_retry_after(api_client):
    response = api_client.get("/api/test/throttled/")
    assert response.status_code == 429
    assert response["Retry-After"] == "5"
    error = error_of(response)
    assert error["code"] == "rate_limited"
    assert error["details"]["retry_after"] == 5


def test_unknown_api_path_is_a_json_404(api_client):
    response = api_client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_unknown_page_is_an_html_404():
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content


@override_settings(DEBUG=False)
def test_page_exception_renders_the_500_page_without_details():
    client = Client(raise_request_exception=False)
    response = client.get("/test/page-boom/")
    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    assert b"page failure" not in response.content


def test_pagination_takes_page_size_1_to_100_and_refuses_the_rest(api_client, django_user_model):
    django_user_model.objects.bulk_create(
        [django_user_model(email=f"user{i}@example.org") for i in range(105)]
    )
    body = api_client.get("/api/test/users/", {"page_size": 100}).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 105
    assert len(body["results"]) == 100
    body = api_client.get("/api/test/users/", {"page_size": 10, "page": 2}).json()
    assert len(body["results"]) == 10
    assert body["previous"] and body["next"]
    # Out of range, not a number, or given twice: a 400, never a silently different page.
    for query in (
        "page_size=1000",
        "page_size=101",
        "page_size=0",
        "page_size=abc",
        "page=0",
        "page=-1",
        "page=1.5",
        "page_size=5&page_size=6",
    ):
        response = api_client.get(f"/api/test/users/?{query}")
        assert response.status_code == 400, query
        error = error_of(response)
        assert error["code"] == "validation_error", query
        assert set(error["details"]) <= {"page", "page_size"}, query


def test_page_past_the_end_is_a_404_in_the_error_shape(api_client):
    response = api_client.get("/api/test/users/", {"page": 99})
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
