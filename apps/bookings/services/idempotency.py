"""Idempotency-Keys of confirm: claim a key, record its answer, replay it, purge old ones."""

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from apps.core.db import db_now, require_transaction

from .. import errors
from ..models import (
    IdempotencyRecord,
)

logger = logging.getLogger("apps.bookings.services")


def request_fingerprint(body: dict) -> str:
    """A stable hash of a request body, to tell a replay from a different request."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class Outcome:
    """The response to a confirm: new or replayed from the idempotency record."""

    status: int
    body: dict
    replayed: bool = False


def _idempotency_claim(
    user, key: str, fingerprint: str
) -> tuple[IdempotencyRecord, Outcome | None]:
    """Claim (user, key) inside the caller's transaction: a new in-progress record, or the
    outcome the first request with this key recorded. A record past its lifetime is replaced.

    One `INSERT ... ON CONFLICT DO NOTHING`: a concurrent request with the same key
    waits for ours to commit, then finds the key taken."""
    require_transaction()
    table = connection.ops.quote_name(IdempotencyRecord._meta.db_table)
    ttl = timedelta(hours=settings.VENUE_IDEMPOTENCY_TTL_HOURS)
    created_at = timezone.now()
    for _ in range(3):
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (user_id, key, request_hash, status, created_at)"  # noqa: S608 - no input
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (user_id, key) DO NOTHING RETURNING id",
                [user.pk, key, fingerprint, IdempotencyRecord.Status.IN_PROGRESS, created_at],
            )
            row = cursor.fetchone()
        if row is not None:
            record = IdempotencyRecord(
                id=row[0], user=user, key=key, request_hash=fingerprint, created_at=created_at
            )
            return record, None
        record = IdempotencyRecord.objects.filter(user=user, key=key).first()
        if record is None:  # purged since our insert looked: claim it again
            continue
        if record.created_at > db_now() - ttl:
            if record.request_hash != fingerprint:
                raise errors.IdempotencyKeyReused()
            if record.status == IdempotencyRecord.Status.IN_PROGRESS:
                raise errors.RequestInProgress()
            return record, Outcome(record.response_status, record.response_body, replayed=True)
        record.delete()  # past its lifetime: the key is free again
    raise errors.RequestInProgress()  # the key keeps changing hands: let the client retry


def _idempotency_finish(record: IdempotencyRecord, status: int, body: dict) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        status=IdempotencyRecord.Status.COMPLETED, response_status=status, response_body=body
    )


def idempotency_purge() -> int:
    """Delete idempotency records older than their lifetime."""
    ttl = timedelta(hours=settings.VENUE_IDEMPOTENCY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(
        created_at__lte=db_now() - ttl, status=IdempotencyRecord.Status.COMPLETED
    ).delete()
    return deleted
