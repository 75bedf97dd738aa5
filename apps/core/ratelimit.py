"""Rate limiting: eight tiers on django-ratelimit's counters in the shared cache (Redis).

Tiers and their defaults (override in settings `VENUE_RATE_LIMIT_TIERS` or with
`VENUE_RATE_<TIER>` in the environment, e.g. `VENUE_RATE_BOOKING=5/m`):

| tier      | key            | applies to                                    |
| --------- | -------------- | --------------------------------------------- |
| global    | client IP      | every API request                             |
| login_ip  | client IP      | login and token requests                      |
| catalog   | client IP      | reads of views with `throttle_scope="catalog"` |
| user      | user id        | every authenticated API request               |
| write     | user id        | POST/PUT/PATCH/DELETE by an authenticated user |
| booking   | user id        | views with `throttle_scope="booking"`          |
| door      | user id        | views with `throttle_scope="door"` (scans)     |
| webhook   | client IP      | views with `throttle_scope="webhook"`          |

A door's gates often share one address (the venue's Wi-Fi) and one account on
several phones, and a queue at the door must never meet a 429: an authenticated
scan counts against `door` and `user` only, not `global` and `write`. Like the
browsing tiers it fails open when the cache is down: the door keeps admitting.
A payment provider's webhook (Stripe's, from a handful of addresses, in bursts when
it redelivers) counts against `webhook` only, not `global`; it fails open too (every
delivery is signature-checked, and a refused one is sent again).

The login lockout (per account) lives in `apps.accounts.lockout`.

When the shared cache is down, tiers that guard money or credentials
(`login_ip`, `write`, `booking`) fall back to a counter in this process, so they
never vanish; browsing tiers (`global`, `catalog`, `user`) fail open and log it.
"""

import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django_ratelimit.core import get_usage
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger(__name__)

FAIL_CLOSED_TIERS = frozenset({"login_ip", "write", "booking"})
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Usage:
    count: int
    limit: int
    retry_after: int

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit


def enabled() -> bool:
    return bool(getattr(settings, "VENUE_RATE_LIMITS", True))


def parse_rate(rate: str) -> tuple[int, int]:
    """Return (limit, period seconds) of a rate like `10/m`, `5/15m` or `100/60s`."""
    count, _, period = rate.partition("/")
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    multiplier = int(period[:-1]) if len(period) > 1 else 1
    return int(count), multiplier * units[period[-1]]


class LocalCounter:
    """Fixed-window counters in this process: the fallback while the shared cache is down."""

    def __init__(self):
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str, int], int] = {}

    def hit(self, tier: str, key: str, rate: str) -> Usage:
        limit, period = parse_rate(rate)
        now = int(time.time())
        window = now - now % period
        with self._lock:
            if len(self._counts) > 10_000:  # drop old windows
                self._counts = {k: v for k, v in self._counts.items() if k[2] == window}
            slot = (tier, key, window)
            self._counts[slot] = self._counts.get(slot, 0) + 1
            count = self._counts[slot]
        return Usage(count, limit, window + period - now)

    def clear(self) -> None:
        with self._lock:
            self._counts.clear()


local_counter = LocalCounter()


def tier_rate(tier: str) -> str:
    return settings.VENUE_RATE_LIMIT_TIERS[tier]


def hit(request, tier: str, key: str) -> Usage | None:
    """Count one request of `key` against `tier`; None when limits are off or fail open."""
    if not enabled():
        return None
    rate = tier_rate(tier)
    django_request = getattr(request, "_request", request)
    try:
        usage = get_usage(
            django_request,
            group=f"venue.{tier}",
            key=lambda group, req: key,
            rate=rate,
            increment=True,
        )
    except Exception as exc:  # the shared cache (Redis) is unreachable
        if tier in FAIL_CLOSED_TIERS:
            logger.warning(
                "Rate-limit cache down; using the per-process limit",
                extra={"tier": tier, "error": type(exc).__name__},
            )
            return local_counter.hit(tier, key, rate)
        logger.warning(
            "Rate-limit cache down; failing open", extra={"tier": tier, "error": type(exc).__name__}
        )
        return None
    if usage is None:
        return None
    return Usage(usage["count"], usage["limit"], max(int(usage["time_left"]), 1))


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or the header named by VENUE_CLIENT_IP_HEADER."""
    meta = getattr(request, "_request", request).META
    header = getattr(settings, "VENUE_CLIENT_IP_HEADER", "")
    if header and meta.get(header):
        return meta[header].split(",")[0].strip()
    return meta.get("REMOTE_ADDR") or "unknown"


class VenueThrottle(BaseThrottle):
    """Apply the tiers that fit this request; the first one exceeded answers 429."""

    def allow_request(self, request, view) -> bool:
        if not enabled():
            return True
        self.wait_seconds = None
        scope = getattr(view, "throttle_scope", None)
        user = getattr(request, "user", None)
        authenticated = bool(user and user.is_authenticated)
        door = scope == "door" and authenticated
        if scope == "webhook":
            checks = [("webhook", f"ip:{client_ip(request)}")]
        else:
            checks = [] if door else [("global", f"ip:{client_ip(request)}")]
        if scope == "catalog" and request.method in ("GET", "HEAD"):
            checks.append(("catalog", f"ip:{client_ip(request)}"))
        if scope == "login":
            checks.append(("login_ip", f"ip:{client_ip(request)}"))
        if authenticated:
            checks.append(("user", f"user:{user.pk}"))
            if request.method in UNSAFE_METHODS and not door:
                checks.append(("write", f"user:{user.pk}"))
            if door:
                checks.append(("door", f"user:{user.pk}"))
            if scope == "booking":
                checks.append(("booking", f"user:{user.pk}"))
        for tier, key in checks:
            usage = hit(request, tier, key)
            if usage is not None and usage.exceeded:
                logger.info("Rate limit hit", extra={"tier": tier, "limit": usage.limit})
                self.wait_seconds = usage.retry_after
                return False
        return True

    def wait(self) -> float | None:
        return self.wait_seconds
