"""Database helpers shared by the apps."""

from datetime import UTC, datetime

from django.db import connection


def db_now() -> datetime:
    """The database's clock: the time this statement started, like Django's `Now()`."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT statement_timestamp()")
            return cursor.fetchone()[0]
        cursor.execute("SELECT STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')")
        return datetime.fromisoformat(cursor.fetchone()[0]).replace(tzinfo=UTC)


def require_transaction() -> None:
    """Refuse to run a locking helper outside a transaction: its locks would end at once."""
    if not connection.in_atomic_block:
        raise RuntimeError("Call this inside transaction.atomic(): it takes row locks.")
