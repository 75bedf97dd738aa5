"""A database that does not answer is a 503 with Retry-After, never a 500.

API requests get the error shape (`service_unavailable`), pages a page that needs no
database; either way one log line with the request id and no traceback in the answer."""

import logging

import pytest
from django.db import connection
from django.test import Client, override_settings

from .test_errors import error_of

pytestmark = [pytest.mark.django_db, pytest.mark.urls("apps.core.tests.urls")]


def unavailable_lines(caplog):
    return [r for r in caplog.records if getattr(r, "event", None) == "database_unavailable"]


def assert_one_line_no_traceback(caplog, response):
    lines = unavailable_lines(caplog)
    assert len(lines) == 1
    assert lines[0].request_id == response["X-Request-ID"]
    assert lines[0].exc_info is None
    # Django's own request logger does not log the 503 a second time.
    assert not [r for r in caplog.records if r.name == "django.request"]


def test_an_api_view_meeting_a_database_outage_answers_503(api_client, caplog):
    caplog.set_level(logging.INFO)
    response = api_client.get("/api/test/database-down/")
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    error = error_of(response)
    assert error["code"] == "service_unavailable"
    assert "127.0.0.1" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert_one_line_no_traceback(caplog, response)


@override_settings(DEBUG=False)
def test_a_page_meeting_a_database_outage_says_to_try_again(caplog):
    caplog.set_level(logging.INFO)
    response = Client(raise_request_exception=False).get("/test/page-database-down/")
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    page = response.content.decode()
    assert "Back in a moment" in page and "try again" in page
    assert response["X-Request-ID"] in page
    assert "server closed" not in page
    assert_one_line_no_traceback(caplog, response)


@pytest.mark.postgres
def test_a_statement_past_its_timeout_is_a_503(api_client):
    if connection.vendor != "postgresql":
        pytest.skip("statement timeouts are PostgreSQL's")
    response = api_client.get("/api/test/slow-query/")
    assert response.status_code == 503
    assert error_of(response)["code"] == "service_unavailable"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_no_free_pooled_connection_in_time_is_a_503_then_service_resumes(api_client):
    """Every connection of the process's pool is lent out: a request waits the pool's
    timeout, answers 503, and the next request after one is given back succeeds."""
    if connection.vendor != "postgresql" or connection.pool is None:
        pytest.skip("needs PostgreSQL with the connection pool")
    connection.close()  # give ours back, so the pool can be drained
    pool = connection.pool
    timeout = pool.timeout
    taken = []
    try:
        pool.timeout = 0.2
        for _ in range(pool.max_size):
            taken.append(pool.getconn(timeout=5))
        response = api_client.get("/api/test/query/")
        assert response.status_code == 503
        assert error_of(response)["code"] == "service_unavailable"
        pool.putconn(taken.pop())
        connection.close()
        assert api_client.get("/api/test/query/").status_code == 200
    finally:
        pool.timeout = timeout
        for conn in taken:
            pool.putconn(conn)
