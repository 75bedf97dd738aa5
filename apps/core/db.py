"""Database helpers shared by the apps."""

from datetime import UTC, datetime

from django.db import connection
from django.db.models import DateField, Func


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


class LocalDate(Func):
    """The calendar day of a timestamp in the time zone another expression names (an
    IANA name, such as a venue's `timezone` column): `LocalDate("starts_at", "tz")`."""

    arity = 2
    output_field = DateField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="(%(expressions)s)::date",
            arg_joiner=" AT TIME ZONE ",
            **extra,
        )

    def as_sqlite(self, compiler, connection, **extra):
        # Django's own SQLite function behind TruncDate(tzinfo=...); values are stored in UTC.
        return self.as_sql(
            compiler,
            connection,
            template="django_datetime_cast_date(%(expressions)s, 'UTC')",
            **extra,
        )
