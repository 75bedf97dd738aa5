"""A generation-checked cache for public reads: one counter bump invalidates them all.

Any write to public data bumps a generation counter after commit. A cached
public read is stored with the generation it was built under, and one `MGET`
fetches both the counter and the entry: an entry of an older generation is a
miss and is rebuilt. One Redis round trip per cached read (a key that embedded
the generation needed two: read the counter, then the entry). Old entries
simply expire. A cache outage degrades to uncached reads.

In front of Redis each process keeps what it read for
`VENUE_PUBLIC_CACHE_LOCAL_SECONDS` (default 1; 0 = off), so a busy list costs no
round trip at all: after a write, *other* processes may serve the previous
version for up to that long; the writing process drops its copies at once.
Bounded to `LOCAL_MAX_ENTRIES` keys (query strings vary). Callers get the same
object for every hit in a process and must not mutate it.
"""

import hashlib
import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

GENERATION_KEY = "public:generation"
DEFAULT_TIMEOUT = 60
LOCAL_MAX_ENTRIES = 256

_local: dict[str, tuple[float, Any]] = {}  # key -> (valid until, on time.monotonic; value)


def local_clear() -> None:
    """Forget this process's copies of public reads."""
    _local.clear()


def public_generation() -> int:
    """Return the current generation (0 when unknown or the cache is down)."""
    try:
        return int(cache.get(GENERATION_KEY) or 0)
    except Exception:  # the cache is an optimisation: never fail a read for it
        logger.warning("cache unavailable: generation read failed", exc_info=True)
        return 0


def _bump() -> None:
    try:
        if not cache.add(GENERATION_KEY, 1, timeout=None):
            cache.incr(GENERATION_KEY)
    except ValueError:  # evicted between add and incr
        cache.set(GENERATION_KEY, 1, timeout=None)
    except Exception:
        logger.warning("cache unavailable: generation bump failed", exc_info=True)
    # After the bump, so a copy taken meanwhile (of the old generation) goes too:
    # this process sees its own writes at once.
    local_clear()


class _Bump:
    """The after-commit bump of one transaction (a callable, to be found again)."""

    done = False

    def __call__(self) -> None:
        self.done = True
        _bump()


def public_cache_bump() -> None:
    """Invalidate every cached public read once the current transaction commits: once per
    transaction, however many of its writes call this."""
    connection = transaction.get_connection()
    # A bump already waiting in this block or one around it (its savepoints all still open).
    active = set(connection.savepoint_ids)
    if any(
        isinstance(callback, _Bump) and not callback.done and sids <= active
        for sids, callback, _ in connection.run_on_commit
    ):
        return
    transaction.on_commit(_Bump())


def cache_key(namespace: str, *parts: Any) -> str:
    """Build a short, safe key for `parts`."""
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return f"public:{namespace}:{digest}"


def public_cached(key: str, build: Callable[[], Any], timeout: int = DEFAULT_TIMEOUT) -> Any:
    """Return the public read under `key` from this process's copy if it is recent,
    else from Redis if it was built in the current generation, else build it."""
    lifetime = settings.VENUE_PUBLIC_CACHE_LOCAL_SECONDS
    if lifetime <= 0:
        return _shared_cached(key, build, timeout)
    hit = _local.get(key)
    if hit is not None and time.monotonic() < hit[0]:
        return hit[1]
    value = _shared_cached(key, build, timeout)
    if len(_local) >= LOCAL_MAX_ENTRIES:
        _local.clear()
    _local[key] = (time.monotonic() + lifetime, value)
    return value


def _shared_cached(key: str, build: Callable[[], Any], timeout: int) -> Any:
    """The Redis entry if it was built in the current generation; otherwise build it and
    store it with the generation read before building (so a write that commits
    meanwhile makes it a miss for the next reader)."""
    try:
        found = cache.get_many([GENERATION_KEY, key])
    except Exception:
        logger.warning("cache unavailable: read failed", exc_info=True)
        return build()
    generation = int(found.get(GENERATION_KEY) or 0)
    entry = found.get(key)
    if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == generation:
        return entry[1]
    value = build()
    try:
        cache.set(key, (generation, value), timeout)
    except Exception:
        logger.warning("cache unavailable: write failed", exc_info=True)
    return value


def cached(key: str, build: Callable[[], Any], timeout: int = DEFAULT_TIMEOUT) -> Any:
    """Return the cached value under `key`, building and storing it on a miss."""
    try:
        value = cache.get(key)
    except Exception:
        logger.warning("cache unavailable: read failed", exc_info=True)
        return build()
    if value is None:
        value = build()
        try:
            cache.set(key, value, timeout)
        except Exception:
            logger.warning("cache unavailable: write failed", exc_info=True)
    return value


def count_this_hour(namespace: str, subject: Any) -> int:
    """Add one to `subject`'s counter in `namespace` and return it; counters start afresh
    an hour after their first count (emails per account per hour). The subject is hashed,
    so keys carry no ids or addresses."""
    key = f"{namespace}:" + hashlib.sha256(str(subject).encode()).hexdigest()[:16]
    cache.add(key, 0, 3600)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, 3600)
        return 1
