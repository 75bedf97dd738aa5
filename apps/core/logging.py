"""Log formatting: one JSON object per line in production, coloured lines under DEBUG.

Every record carries the request id and, once known, the user id. Values under
keys that name secrets (passwords, tokens, cookies, authorization) are redacted,
so passing a request body or headers as `extra` can never leak them.
"""

import logging
from datetime import UTC, datetime

from pythonjsonlogger.json import JsonFormatter as BaseJsonFormatter

from .context import current_request_id, current_user_id

REDACTED = "[redacted]"
SENSITIVE_WORDS = ("password", "token", "secret", "cookie", "authorization", "csrf", "jwt")

# Attributes every LogRecord has; anything else came in through `extra`.
_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def is_sensitive(key: str) -> bool:
    key = key.lower()
    return any(word in key for word in SENSITIVE_WORDS)


def redact(value):
    """Return `value` with every secret-looking key's value replaced, recursively."""
    if isinstance(value, dict):
        return {k: REDACTED if is_sensitive(str(k)) else redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact(v) for v in value)
    return value


class ContextFilter(logging.Filter):
    """Add request_id and user_id to every record and redact secrets in its extras."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        if getattr(record, "user_id", None) is None:
            record.user_id = current_user_id()
        for key, value in list(vars(record).items()):
            if key in _STANDARD_ATTRS:
                continue
            record.__dict__[key] = REDACTED if is_sensitive(key) else redact(value)
        if isinstance(record.args, dict):
            record.args = redact(record.args)
        return True


def extras(record: logging.LogRecord) -> dict:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD_ATTRS}


class JsonFormatter(BaseJsonFormatter):
    """timestamp (UTC), level, logger, request_id, user_id, message, then the context."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(*args, **kwargs)

    def add_fields(self, log_record: dict, record: logging.LogRecord, message_dict: dict) -> None:
        log_record["timestamp"] = datetime.fromtimestamp(record.created, tz=UTC).isoformat(
            timespec="milliseconds"
        )
        log_record["level"] = record.levelname
        log_record["logger"] = record.name
        log_record["request_id"] = getattr(record, "request_id", None)
        log_record["user_id"] = getattr(record, "user_id", None)
        log_record["message"] = record.getMessage()
        for key, value in extras(record).items():
            log_record.setdefault(key, value)
        log_record.update(message_dict)  # holds exc_info when there is one


class PrettyFormatter(logging.Formatter):
    """Readable, coloured single lines for a developer's terminal."""

    COLOURS = {"DEBUG": "36", "INFO": "32", "WARNING": "33", "ERROR": "31", "CRITICAL": "1;31"}

    def format(self, record: logging.LogRecord) -> str:
        time = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        colour = self.COLOURS.get(record.levelname, "0")
        context = " ".join(
            f"{k}={v}" for k, v in extras(record).items() if k not in {"request_id", "user_id"}
        )
        rid = getattr(record, "request_id", None)
        line = (
            f"{time} \033[{colour}m{record.levelname:<7}\033[0m {record.name}: "
            f"{record.getMessage()}"
        )
        if rid:
            line += f" \033[2m[{rid[:12]}]\033[0m"
        if context:
            line += f" \033[2m{context}\033[0m"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line
