"""Request-id middleware: every request gets an id, echoed on the response and logged."""

import logging
import os
import time

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed

from .context import new_request_id, request_id_var, request_var, sane_request_id

REQUEST_ID_HEADER = "X-Request-ID"
access_log = logging.getLogger("venue.access")


class RequestIdMiddleware:
    """Accept a sane incoming X-Request-ID or make one; expose it to logs, SQL and tasks."""

    # Sync only: WhiteNoise is, so Django would adapt an async chain back anyway.

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started, tokens = self._start(request)
        try:
            return self._finish(request, self.get_response(request), started)
        finally:
            self._reset(tokens)

    @staticmethod
    def _start(request):
        incoming = request.headers.get(REQUEST_ID_HEADER)
        request.request_id = sane_request_id(incoming) or new_request_id()
        return time.perf_counter(), (
            request_id_var.set(request.request_id),
            request_var.set(request),
        )

    @staticmethod
    def _finish(request, response, started):
        response[REQUEST_ID_HEADER] = request.request_id
        access_log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return response

    @staticmethod
    def _reset(tokens):
        request_id_var.reset(tokens[0])
        request_var.reset(tokens[1])


class ServedByMiddleware:
    """Name the serving process in `X-Served-By` (load-balancer tests); off unless configured.

    Enabled only when `VENUE_SERVED_BY` is set: the header is that label plus the pid,
    e.g. `wsgi-0/4711`. It tells which backend behind nginx answered a request.
    """

    def __init__(self, get_response):
        label = getattr(settings, "VENUE_SERVED_BY", "")
        if not label:
            raise MiddlewareNotUsed
        self.get_response = get_response
        self.label = label

    def __call__(self, request):
        response = self.get_response(request)
        response["X-Served-By"] = f"{self.label}/{os.getpid()}"
        return response
