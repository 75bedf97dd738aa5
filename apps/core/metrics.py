"""Prometheus metrics: the VENUE counters, WebSocket connection tracking, the /metrics view.

Process model (see README "Production shape"): gunicorn runs several worker
processes per container, so the web containers set `PROMETHEUS_MULTIPROC_DIR`
and prometheus_client writes every sample to memory-mapped files there; the view
below then aggregates all workers of the container (`MultiProcessCollector`).
uvicorn (ASGI) containers run one process each and export that process's own
registry. Prometheus scrapes every container directly, never through nginx.

The booking counters are defined here so that /metrics exposes them from day one;
the booking engine increments them (`bookings_confirmed.inc()` after commit, and
so on). Nothing else should.
"""

import hmac
import ipaddress
import os
from functools import cache

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    generate_latest,
    multiprocess,
)

from .ratelimit import client_ip

# --- Booking engine counters (incremented by apps.bookings, defined here so they always exist).
bookings_confirmed = Counter("bookings_confirmed", "Bookings confirmed (after commit).")
holds_created = Counter("holds_created", "Seat holds created.")
holds_conflicts = Counter(
    "holds_conflicts", "Hold requests refused with 409 because a seat was taken."
)
holds_expired = Counter("holds_expired", "Holds that expired without being confirmed.")

# --- WebSocket connections, per consumer. `livesum` adds up the live processes only.
websocket_connections_open = Gauge(
    "websocket_connections_open",
    "WebSocket connections open now.",
    ["consumer"],
    multiprocess_mode="livesum",
)
websocket_connections = Counter(
    "websocket_connections", "WebSocket connections accepted.", ["consumer"]
)
seatmap_repairs = Counter(
    "seatmap_repairs",
    "Seat-map sockets sent a fresh snapshot because an update was lost on its way.",
)


def websocket_opened(consumer: str) -> None:
    websocket_connections.labels(consumer).inc()
    websocket_connections_open.labels(consumer).inc()


def websocket_closed(consumer: str) -> None:
    websocket_connections_open.labels(consumer).dec()


class ConnectionMetricsMixin:
    """Count a WebSocket consumer's accepted connections; put it before the consumer base class.

    Set `metrics_name` to the label value (defaults to the class name). Only
    accepted sockets count, and each is counted down exactly once when it closes.
    """

    metrics_name: str | None = None

    def _metrics_label(self) -> str:
        return self.metrics_name or type(self).__name__

    async def accept(self, *args, **kwargs):
        await super().accept(*args, **kwargs)
        if not getattr(self, "_metrics_counted", False):
            self._metrics_counted = True
            websocket_opened(self._metrics_label())

    async def websocket_disconnect(self, message):
        if getattr(self, "_metrics_counted", False):
            self._metrics_counted = False
            websocket_closed(self._metrics_label())
        await super().websocket_disconnect(message)


# --- The /metrics endpoint: loopback/private scrapers or a bearer token; 404 for everyone else.


@cache
def _allowed_networks(spec: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(item, strict=False) for item in spec)


def scraper_allowed(request: HttpRequest) -> bool:
    """True if the request comes from an allowed network or carries VENUE_METRICS_TOKEN."""
    token = settings.VENUE_METRICS_TOKEN
    if token:
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            presented.strip().encode(), token.encode()
        ):
            return True
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    networks = _allowed_networks(tuple(settings.VENUE_METRICS_ALLOWED_IPS))
    return any(address in network for network in networks)


def registry() -> CollectorRegistry:
    """This process's registry, or all workers' samples under PROMETHEUS_MULTIPROC_DIR."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not path:
        return REGISTRY
    aggregate = CollectorRegistry()
    multiprocess.MultiProcessCollector(aggregate, path=path)
    return aggregate


@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Serve the Prometheus text format to allowed scrapers; pretend not to exist otherwise."""
    if not scraper_allowed(request):
        raise Http404
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
