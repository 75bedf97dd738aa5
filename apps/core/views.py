"""Core endpoints: health probes and error pages (the pages themselves live in apps.site)."""

import sys

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.cache import never_cache

from .exceptions import (
    ServiceUnavailable,
    database_unavailable,
    error_body,
    log_database_unavailable,
)
from .health import readiness


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    failures = readiness()
    if failures:
        return JsonResponse({"status": "unavailable", "failures": failures}, status=503)
    checks = ["database", "redis"] if settings.REDIS_URL else ["database"]
    return JsonResponse({"status": "ok", "checks": checks})


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/") or "application/json" in request.headers.get(
        "Accept", ""
    )


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's 500 handler (an exception no view turned into a response). A database
    outage is a 503 that says to try again, logged here once without a traceback."""
    _, exc, _ = sys.exc_info()
    if exc is not None and database_unavailable(exc):
        log_database_unavailable(exc, request)
        return service_unavailable(request)
    if _wants_json(request):
        return JsonResponse(
            error_body("server_error", "Something went wrong on our side. Quote the request id."),
            status=500,
        )
    return render(request, "500.html", status=500)


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(error_body("permission_denied", "Permission denied."), status=403)
    return render(request, "403.html", status=403)


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(error_body("bad_request", "Bad request."), status=400)
    return render(request, "400.html", status=400)


def service_unavailable(request: HttpRequest) -> HttpResponse:
    """503 with Retry-After: the API's error shape, or a page that needs no database."""
    if _wants_json(request):
        error = ServiceUnavailable()
        response = JsonResponse(error_body(error.code, error.message), status=error.status_code)
    else:
        # Rendered without the request's context: the base template would ask the (absent)
        # database who is signed in.
        html = render_to_string("503.html", {"request_id": getattr(request, "request_id", "")})
        response = HttpResponse(html, status=ServiceUnavailable.status_code)
    response["Retry-After"] = str(ServiceUnavailable.retry_after)
    response._has_been_logged = True  # logged once by the caller, not again by Django
    return response
