"""Concurrency tests race real threads against PostgreSQL and check the database after."""

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from apps.accounts.models import User
from tests.support.booking import *  # noqa: F403
from tests.support.fixtures import *  # noqa: F403
from tests.support.showtimes import *  # noqa: F403


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("concurrency tests need PostgreSQL (set DATABASE_URL)")


def race(func, args_list, workers: int = 16):
    """Run func(*args) for every args at once from `workers` threads; return results or errors."""
    barrier = threading.Barrier(min(workers, len(args_list)))

    def run(args):
        try:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=10)
            return func(*args)
        except Exception as exc:  # collected and asserted by the test
            return exc
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, args_list))


def race_users(prefix: str, n: int) -> list[User]:
    """`n` users `<prefix><i>@race.example.org`, made in one INSERT, in id order."""
    User.objects.bulk_create(
        [User(email=f"{prefix}{i}@race.example.org", full_name=f"{prefix}{i}") for i in range(n)]
    )
    made = User.objects.filter(email__startswith=prefix, email__endswith="@race.example.org")
    return list(made.order_by("id"))
