"""Per-account login lockout: after N failures within a window, refuse even the right password.

State lives in the shared cache (Redis in production). If the cache is down the
lockout falls back to this process's local-memory cache: weaker across
processes, but it never simply vanishes.
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache

from apps.core import ratelimit

from .audit import audit

logger = logging.getLogger(__name__)
_local_cache = LocMemCache("venue-lockout-fallback", {"TIMEOUT": None})


def clock() -> float:
    """Seconds since the epoch; tests replace this to move time without sleeping."""
    return time.time()


def _config() -> dict:
    return settings.VENUE_LOGIN_LOCKOUT


def _get(key: str):
    try:
        return cache.get(key)
    except Exception as exc:  # the shared cache is down
        logger.warning("Lockout cache down; using this process", extra={"error": repr(exc)})
        return _local_cache.get(key)


def _set(key: str, value, timeout: int) -> None:
    try:
        cache.set(key, value, timeout)
    except Exception as exc:  # the shared cache is down
        logger.warning("Lockout cache down; using this process", extra={"error": repr(exc)})
        _local_cache.set(key, value, timeout)


def _delete(key: str) -> None:
    for store in (cache, _local_cache):
        try:
            store.delete(key)
        except Exception:  # noqa: S112 - the shared cache may be down; the local one is not
            continue


def _keys(email: str) -> tuple[str, str]:
    return f"login-failures:{email}", f"login-locked:{email}"


def seconds_locked(email: str) -> int:
    """Return how many seconds the account stays locked; 0 when it is not."""
    if not ratelimit.enabled():
        return 0
    locked_until = _get(_keys(email)[1])
    if not locked_until:
        return 0
    return max(int(locked_until - clock() + 0.999), 0)


def record_failure(email: str, ip: str) -> int:
    """Count a failed login; lock the account when the limit is reached. Return seconds locked."""
    if not ratelimit.enabled():
        return 0
    config = _config()
    failures_key, locked_key = _keys(email)
    now = clock()
    started, count = _get(failures_key) or (now, 0)
    if now - started > config["window_seconds"]:
        started, count = now, 0
    count += 1
    if count >= config["failures"]:
        locked_until = now + config["lock_seconds"]
        _set(locked_key, locked_until, config["lock_seconds"] + 60)
        _delete(failures_key)
        audit("account_locked", email=email, ip=ip, failures=count, level=logging.WARNING)
        return config["lock_seconds"]
    _set(failures_key, (started, count), config["window_seconds"] + 60)
    return 0


def record_success(email: str) -> None:
    _delete(_keys(email)[0])
