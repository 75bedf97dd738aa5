"""Two real uvicorn processes sharing PostgreSQL and Redis, for cross-process live tests.

Built from the load-balancer rig (`tests/lb/rig.py`, `backend_env`): no nginx,
just the two ASGI processes on loopback, a database `venue_live_<random>`
created, migrated and seeded for the module and dropped afterwards. Skipped,
with the reason, without PostgreSQL in DATABASE_URL or without REDIS_URL.
"""

import contextlib
import os
import secrets
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.lb import rig


def _skip_reason() -> str | None:
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        return "needs DATABASE_URL pointing at PostgreSQL (both servers share the database)"
    if not os.environ.get("REDIS_URL"):
        return "needs REDIS_URL (the channel layer that carries updates between the servers)"
    return None


@pytest.fixture(scope="module")
def asgi_pair():
    """Two started uvicorn `rig.Backend`s; every process and the database go at the end."""
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    with contextlib.ExitStack() as cleanup:
        run_dir = Path(tempfile.mkdtemp(prefix="venue-live-"))
        cleanup.callback(shutil.rmtree, run_dir, ignore_errors=True)
        admin_url = os.environ["DATABASE_URL"]
        db_name = f"venue_live_{secrets.token_hex(4)}"
        database_url = rig.create_database(admin_url, db_name)
        cleanup.callback(rig.drop_database, admin_url, db_name)
        env = rig.backend_env(database_url, run_dir / "static", os.environ["REDIS_URL"])
        rig.manage(["migrate", "--noinput", "-v", "0"], env)
        rig.manage(["seed_demo"], env)
        backends = []
        for index in range(2):
            name = f"asgi-{index}"
            backend = rig.Backend(name, "asgi", rig.free_port(), env, run_dir / f"{name}.log")
            cleanup.callback(backend.stop)  # registered first: a failed start is stopped too
            backend.start()
            backends.append(backend)
        for backend in backends:
            backend.wait_ready()
        yield backends, database_url
