"""Concurrency tests race real threads against PostgreSQL and check the database after."""

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from apps.bookings.tests.fixtures import *  # noqa: F403


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
