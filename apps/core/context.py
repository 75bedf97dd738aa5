"""Per-request context (request id, current request) carried in context variables.

Context variables follow a request through sync and async code alike, and are
copied into Celery tasks by the signal handlers in `apps.core.apps`.
"""

import re
import uuid
from contextvars import ContextVar

from django.utils.functional import empty

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
request_var: ContextVar[object | None] = ContextVar("request", default=None)

_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{7,127}$")


def sane_request_id(value: str | None) -> str | None:
    """Return `value` if it is safe to echo and log (8-128 chars of [A-Za-z0-9._-])."""
    if value and _SANE_REQUEST_ID.fullmatch(value):
        return value
    return None


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return request_id_var.get()


def current_user_id() -> int | None:
    """Return the id of the authenticated user of the current request, if already known.

    Never triggers a database query: a user not yet resolved counts as unknown.
    """
    request = request_var.get()
    if request is None:
        return None
    user = getattr(request, "__dict__", {}).get("user")
    if user is None:
        return None
    wrapped = getattr(user, "_wrapped", user)
    if wrapped is empty:  # a lazy user nobody has looked at yet
        return None
    if getattr(wrapped, "is_authenticated", False):
        return wrapped.pk
    return None
