"""Two real uvicorn processes sharing PostgreSQL and Redis, for cross-process live tests.

Built from the shared rig (`tests/support/sites.py`): no nginx, just the two ASGI
processes on loopback, a database `venue_live_<random>` created, migrated and seeded
for the module and dropped afterwards. Skipped, with the reason, without PostgreSQL in
DATABASE_URL or without REDIS_URL.
"""

import contextlib
import os

import pytest

from tests.support import sites


@pytest.fixture(scope="module")
def asgi_pair():
    """Two started uvicorn `Backend`s; every process and the database go at the end."""
    reason = sites.shared_servers_skip_reason(
        "both servers share the database", "the channel layer that carries updates between them"
    )
    if reason:
        pytest.skip(reason)
    with contextlib.ExitStack() as cleanup:
        run_dir = sites.run_dir(cleanup, "venue-live-")
        database_url = sites.scratch_database(cleanup, os.environ["DATABASE_URL"], "venue_live_")
        env = sites.backend_env(database_url, run_dir / "static", os.environ["REDIS_URL"])
        sites.prepare(env)
        specs = [(f"asgi-{index}", "asgi", env) for index in range(2)]
        yield sites.start_backends(cleanup, run_dir, specs), database_url
