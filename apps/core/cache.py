"""A generation-keyed cache for public reads: one counter bump invalidates them all.

Cached entries live under keys that embed the current generation; any write to
public data bumps the generation after commit, so the next read misses and
rebuilds. Old entries simply expire. A cache outage degrades to uncached reads.
"""

import hashlib
import logging
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger(__name__)

GENERATION_KEY = "public:generation"
DEFAULT_TIMEOUT = 60


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


def public_cache_bump() -> None:
    """Invalidate every cached public read once the current transaction commits."""
    transaction.on_commit(_bump)


def cache_key(namespace: str, *parts: Any) -> str:
    """Build a short, safe key for `parts` under the current generation."""
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    return f"public:{public_generation()}:{namespace}:{digest}"


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
