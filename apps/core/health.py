"""Liveness and readiness checks for load balancers and orchestrators."""

import logging

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)


def check_database() -> str | None:
    """Return None if every configured database answers, else the reason."""
    for alias in connections:
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except Exception as exc:  # any driver error means "not ready"
            return f"database {alias!r} unreachable: {type(exc).__name__}"
    return None


def check_redis() -> str | None:
    """Return None if Redis answers (or is not configured), else the reason."""
    if not settings.REDIS_URL:
        return None
    import redis

    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
        )
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # any client error means "not ready"
        return f"redis unreachable: {type(exc).__name__}"
    return None


def readiness() -> dict[str, str]:
    """Return the failing checks by name; empty when ready."""
    failures = {}
    for name, check in (("database", check_database), ("redis", check_redis)):
        reason = check()
        if reason:
            logger.warning("Readiness check failed", extra={"check": name, "reason": reason})
            failures[name] = reason
    return failures
