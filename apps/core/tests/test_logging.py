import io
import json
import logging

from apps.core.context import request_id_var
from apps.core.logging import REDACTED, ContextFilter, JsonFormatter, PrettyFormatter


def emit(formatter, *args, **kwargs):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(ContextFilter())
    logger = logging.getLogger("venue.test.logging")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning(*args, **kwargs)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    return stream.getvalue()


def test_json_lines_never_contain_secrets():
    body = {"email": "a@b.c", "password": "hunter2-hunter2", "nested": {"refresh_token": "xyz"}}
    line = emit(
        JsonFormatter(),
        "login attempt",
        extra={"body": body, "access_token": "eyJ.secret", "cookies": {"sessionid": "s3"}},
    )
    record = json.loads(line)
    assert record["message"] == "login attempt"
    assert record["body"]["email"] == "a@b.c"
    assert record["body"]["password"] == REDACTED
    assert record["body"]["nested"]["refresh_token"] == REDACTED
    assert record["access_token"] == REDACTED
    assert record["cookies"] == REDACTED
    for secret in ("hunter2", "eyJ.secret", "xyz", "s3"):
        assert secret not in line


def test_json_line_has_the_standard_fields_and_the_exception():
    token = request_id_var.set("log-fields-0001")
    try:
        try:
            raise ValueError("kaput")
        except ValueError:
            line = emit(JsonFormatter(), "failed %s", "here", exc_info=True)
    finally:
        request_id_var.reset(token)
    record = json.loads(line)
    assert record["message"] == "failed here"
    assert record["level"] == "WARNING"
    assert record["logger"] == "venue.test.logging"
    assert record["request_id"] == "log-fields-0001"
    assert record["user_id"] is None
    assert "ValueError: kaput" in record["exc_info"]


def test_pretty_lines_are_single_readable_lines():
    token = request_id_var.set("pretty-0000001")
    try:
        line = emit(PrettyFormatter(), "hello %s", "world", extra={"seat": "F12"})
    finally:
        request_id_var.reset(token)
    assert "hello world" in line
    assert "seat=F12" in line
    assert "pretty-00000" in line
    assert line.count("\n") == 1
