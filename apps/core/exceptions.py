"""One error family and one handler: every API error has the shape of API.md.

`{"error": {"code", "message", "details", "request_id"}}` with the right status.
"""

import logging

from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

from .context import current_request_id

logger = logging.getLogger("venue.errors")
audit_log = logging.getLogger("venue.audit")


class ApplicationError(Exception):
    """A refusal the client can act on, with a stable `code` and an HTTP status."""

    status_code = status.HTTP_400_BAD_REQUEST
    code = "invalid_request"
    message = "The request cannot be processed."

    def __init__(self, message: str | None = None, *, details: dict | None = None, code=None):
        self.message = message or self.message
        self.details = details or {}
        if code:
            self.code = code
        super().__init__(self.message)


class NotFound(ApplicationError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"
    message = "Not found."


class Conflict(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    code = "conflict"
    message = "The request conflicts with the current state."


class ServiceUnavailable(ApplicationError):
    """A dependency the request needs (the database) did not answer: try again shortly."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    code = "service_unavailable"
    message = "The service is briefly unavailable. Please try again in a few seconds."
    retry_after = 2


def database_unavailable(exc: BaseException) -> bool:
    """True for a failure of the database itself rather than of the request: unreachable,
    connection lost mid-request, no free pooled connection in time, statement timeout.

    psycopg reports all of these as OperationalError (PoolTimeout and QueryCanceled are
    subclasses) or InterfaceError (a connection already closed); a bare DatabaseError is
    the driver losing the connection without saying how. Integrity, data and programming
    errors are bugs or refusals, not outages."""
    for error in (exc, exc.__cause__):
        if isinstance(error, OperationalError | InterfaceError) or type(error) is DatabaseError:
            return True
    return False


def log_database_unavailable(exc: BaseException, request=None) -> None:
    """One line per request that met a database outage, with the request id; no traceback."""
    logger.warning(
        "database_unavailable: %s: %s",
        type(exc).__name__,
        str(exc).strip().splitlines()[0][:300] if str(exc).strip() else "",
        extra={
            "event": "database_unavailable",
            "path": getattr(request, "path", None),
            "method": getattr(request, "method", None),
        },
    )


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    return {
        "error": {
            "code": code,
            "message": message,
            "details": details or {},
            "request_id": current_request_id(),
        }
    }


# DRF exception class -> our stable code, where DRF's own default code is not the one we want.
_CODES = {
    exceptions.ValidationError: "validation_error",
    exceptions.ParseError: "malformed_request",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "rate_limited",
}


def _message_and_details(exc: exceptions.APIException) -> tuple[str, dict]:
    detail = exc.detail
    if isinstance(exc, exceptions.ValidationError):
        details = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        return "The request has invalid fields.", details
    if isinstance(detail, dict):
        return str(detail.get("detail", exc.default_detail)), {
            k: v for k, v in detail.items() if k != "detail"
        }
    if isinstance(detail, list):
        return str(exc.default_detail), {"errors": detail}
    return str(detail), {}


def exception_handler(exc: Exception, context: dict) -> Response:
    """Turn any exception raised in an API view into the API.md error shape."""
    # Imported here: authentication classes import this module while DRF's views load.
    from rest_framework.views import exception_handler as drf_exception_handler

    if database_unavailable(exc):
        log_database_unavailable(exc, context.get("request"))
        exc = ServiceUnavailable()
        exc.logged = True
    if isinstance(exc, ApplicationError):
        response = Response(error_body(exc.code, exc.message, exc.details), status=exc.status_code)
        if getattr(exc, "retry_after", None):
            response["Retry-After"] = str(exc.retry_after)
        if getattr(exc, "logged", False):
            response._has_been_logged = True  # Django's request logger: logged once, above
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        view = context.get("view")
        logger.error(
            "Unhandled exception in %s",
            type(view).__name__ if view else "API view",
            exc_info=(type(exc), exc, exc.__traceback__),
        )
        return Response(
            error_body("server_error", "Something went wrong on our side. Quote the request id."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )

    if isinstance(exc, exceptions.PermissionDenied):
        request = context.get("request")
        audit_log.warning(
            "permission_denied",
            extra={
                "event": "permission_denied",
                "path": getattr(request, "path", None),
                "method": getattr(request, "method", None),
            },
        )
    code = next((c for cls, c in _CODES.items() if isinstance(exc, cls)), None)
    if code is None:
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else "error"
    message, details = _message_and_details(exc)
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        details = {**details, "retry_after": int(exc.wait + 0.999)}
    response.data = error_body(code, message, details)
    return response
