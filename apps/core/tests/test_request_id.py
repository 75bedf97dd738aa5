import io
import json
import logging

import pytest
from django.db import connection

from apps.core.context import sane_request_id
from apps.core.logging import ContextFilter, JsonFormatter

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_log():
    """Capture what the production JSON formatter writes, one object per line."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)


def test_a_sane_request_id_is_echoed(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abc-123_DEF.456")
    assert response["X-Request-ID"] == "abc-123_DEF.456"


@pytest.mark.parametrize(
    "bad",
    ["with\nnewline", "x" * 10_000, "short", "spaces are bad", "semi;colon", "*/ DROP"],
)
def test_an_insane_request_id_is_replaced(client, bad):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=bad)
    assert response["X-Request-ID"] != bad
    assert sane_request_id(response["X-Request-ID"]) == response["X-Request-ID"]


def test_a_missing_request_id_is_made_and_differs_per_request(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert first != second
    assert sane_request_id(first) == first


def test_the_request_id_is_in_the_json_log_line(client, json_log):
    client.get("/readyz", HTTP_X_REQUEST_ID="trace-me-please-1")
    lines = [line for line in json_log() if line["logger"] == "venue.access"]
    assert lines, "the access log wrote nothing"
    line = lines[-1]
    assert line["request_id"] == "trace-me-please-1"
    assert line["path"] == "/readyz"
    assert line["status"] == 200
    assert line["level"] == "INFO"
    assert line["timestamp"].endswith("+00:00")


def test_the_request_id_is_in_the_sql_comment(client):
    seen = []

    def spy(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    connection.ensure_connection()
    with connection.execute_wrapper(spy):
        client.get("/readyz", HTTP_X_REQUEST_ID="sql-trace-0001")
    assert seen
    assert all(sql.endswith("/* request_id=sql-trace-0001 */") for sql in seen)


@pytest.mark.postgres
def test_postgres_sees_the_request_id_comment(client):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    from apps.core.context import request_id_var

    token = request_id_var.set("pg-trace-0001")
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = pg_backend_pid()")
            (query,) = cursor.fetchone()
    finally:
        request_id_var.reset(token)
    assert "/* request_id=pg-trace-0001 */" in query


def test_no_comment_outside_a_request():
    seen = []

    def spy(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    connection.ensure_connection()
    with connection.execute_wrapper(spy), connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert seen == ["SELECT 1"]
