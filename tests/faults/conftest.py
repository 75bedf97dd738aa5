"""The fault suite: VENUE as production runs it, on its own PostgreSQL and Redis, broken on purpose.

The session starts a PostgreSQL cluster (initdb into a temporary folder, a free
loopback port, max_connections = 100, fsync off) and a Redis (nothing saved),
migrates and seeds a database on them, and makes the buyer accounts. Modules then
start the servers they need with the production settings of `tests/support/sites.py`
(`sites.backend_env`): `wsgi_stack` (gunicorn 2 workers x 4 threads and a Celery
worker with beat) and `asgi_pair` (two uvicorn processes). Every process is
stopped by pid (its whole process group) at the end, also when a start fails.
Skipped, with the reason, when the PostgreSQL binaries or redis-server are missing.

Each test records its figures with `fault_report.record(...)`; the session prints
them at the end and writes `artifacts/faults/summary.json`. What every process
logged during a test is kept in `artifacts/faults/logs/<test>/` (quoted in the
failure when a check fails), the whole logs in `artifacts/faults/logs/session/`.

Variables `VENUE_DB_*` and `GUNICORN_*` of the environment reach the servers, e.g.
`VENUE_DB_POOL=off` to run the suite without the connection pool.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import pytest

from tests.support import servers, sites
from tests.support.servers import ROOT

from .buyers import PASSWORD, Tokens
from .harness import (
    ACCOUNTS_SCRIPT,
    ARTIFACTS,
    HOLD_SECONDS,
    LOGS,
    REPORT,
    FaultReport,
    Services,
    Stack,
    reserved_slots,
    reset_logs,
    save_logs,
)

BUYER_ACCOUNTS = 120
PROBE_ACCOUNTS = 4
FAULTS_DIR = Path(__file__).parent


def pytest_collection_modifyitems(config, items):
    sites.mark_folder(items, FAULTS_DIR, "faults")


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not REPORT.entries:
        return
    terminalreporter.section("fault suite summary")
    for line in REPORT.lines():
        terminalreporter.write_line(line)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "summary.json"
    path.write_text(json.dumps(REPORT.entries, indent=2, sort_keys=True, default=str) + "\n")
    terminalreporter.write_line(
        f"figures: {path.relative_to(ROOT)}, logs: {LOGS.relative_to(ROOT)}/"
    )


@pytest.fixture(scope="session")
def fault_report() -> FaultReport:
    return REPORT


@pytest.fixture(scope="session")
def services():
    reason = servers.scratch_skip_reason()
    if reason:
        pytest.skip(reason)
    reset_logs()
    with contextlib.ExitStack() as cleanup:
        # The cluster's owner must reach its folder inside.
        run_dir = sites.run_dir(cleanup, "venue-faults-", traversable=True)
        cleanup.callback(save_logs, run_dir)  # runs after every process stopped (LIFO)

        postgres = servers.PostgresServer(run_dir, servers.free_port(), max_connections=100)
        postgres.init()
        cleanup.callback(postgres.stop)
        postgres.start()
        redis = servers.RedisServer(run_dir, servers.free_port())
        cleanup.callback(redis.stop)
        redis.start()
        postgres.wait_ready()
        redis.wait_ready()

        database_url = sites.create_database(postgres.admin_url, "venue_faults")
        (run_dir / "static").mkdir()
        env = {
            **sites.backend_env(database_url, run_dir / "static", redis.url),
            "VENUE_HOLD_SECONDS": str(HOLD_SECONDS),
            **{k: v for k, v in os.environ.items() if k.startswith(("VENUE_DB_", "GUNICORN_"))},
        }
        sites.prepare(env)
        buyers = [f"fault-buyer-{i}@venue.test" for i in range(BUYER_ACCOUNTS)]
        probes = [f"fault-probe-{i}@venue.test" for i in range(PROBE_ACCOUNTS)]
        script = ACCOUNTS_SCRIPT.format(password=PASSWORD, emails=buyers + probes)
        sites.manage(["shell", "-c", script], env)
        yield Services(
            run_dir,
            postgres,
            redis,
            database_url,
            env,
            reserved_slots(database_url),
            buyers,
            probes,
        )


@pytest.fixture(scope="module")
def wsgi_stack(services):
    """gunicorn (venue.wsgi, deploy/gunicorn.conf.py, 2 workers x 4 threads) + Celery -B."""
    with contextlib.ExitStack() as cleanup:
        env = {
            **services.env,
            "WEB_CONCURRENCY": "2",
            "GUNICORN_THREADS": services.env.get("GUNICORN_THREADS", "4"),
            "PROMETHEUS_MULTIPROC_DIR": str(services.run_dir / "prometheus-wsgi"),
        }
        web = servers.Backend(
            "wsgi", "wsgi", servers.free_port(), env, services.run_dir / "gunicorn.log"
        )
        cleanup.callback(web.stop)
        web.start()
        worker = servers.CeleryWorker(services.run_dir, services.env)
        cleanup.callback(worker.stop)
        worker.start()
        web.wait_ready()
        worker.wait_ready()
        tokens = Tokens(web.url)
        tokens.prefetch(services.buyers[:12] + services.probes)
        yield Stack(services, [web.url], tokens, {"gunicorn": web, "celery": worker})


@pytest.fixture
def healthy_wsgi(wsgi_stack):
    """PostgreSQL, Redis, gunicorn and the Celery worker all up before the test, and after."""

    def repair():
        wsgi_stack.services.ensure_up()
        for process in wsgi_stack.processes.values():
            if not process.running:
                process.start()
            process.wait_ready()

    repair()
    yield wsgi_stack
    repair()


@pytest.fixture(scope="module")
def asgi_pair(services):
    """Two uvicorn processes serving venue.asgi:application with the production settings."""
    services.ensure_up()
    with contextlib.ExitStack() as cleanup:
        specs = [(f"asgi-{index}", "asgi", services.env) for index in range(2)]
        backends = sites.start_backends(cleanup, services.run_dir, specs)
        tokens = Tokens(backends[0].url)
        tokens.prefetch(services.buyers[:100])
        yield Stack(services, [b.url for b in backends], tokens, {b.name: b for b in backends})
