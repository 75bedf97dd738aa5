"""The `topology` fixture: VENUE as production runs it, on loopback.

Two gunicorn (WSGI, two workers each) and two uvicorn (ASGI) processes with the
production settings, on a PostgreSQL database made for this session and the
Redis of REDIS_URL, behind nginx rendered from `deploy/nginx.conf.template`.
Skipped, with the reason, when nginx is not installed or DATABASE_URL is not
PostgreSQL or REDIS_URL is unset.

Reuse it for any cross-process test (the booking failover tests build on it):

    def test_something(topology):
        topology.base_url            # nginx, e.g. http://127.0.0.1:18xxx
        topology.ws_url              # ws://127.0.0.1:18xxx
        topology.wsgi[0].kill()      # crash one WSGI backend (its whole process group)
        topology.wsgi[0].restart()   # back on the same port, waits until ready
        topology.wait_balanced()     # until nginx sends traffic to every WSGI backend

A test that kills or stops a backend must restart it (the `all_backends_up`
fixture does so afterwards for any test that asks for it).
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import sites, web
from tests.support.demo import DEMO_EMAIL, DEMO_PASSWORD
from tests.support.servers import Backend

from . import rig


def pytest_collection_modifyitems(config, items):
    sites.mark_folder(items, Path(__file__).parent, "lb")


@dataclass
class Topology:
    base_url: str
    ws_url: str
    wsgi: list[Backend]
    asgi: list[Backend]
    nginx: rig.Nginx
    database_url: str
    env: dict[str, str]

    @property
    def backends(self) -> list[Backend]:
        return [*self.wsgi, *self.asgi]

    def get(self, path: str, **kwargs) -> web.Reply:
        return web.fetch(self.base_url + path, **kwargs)

    def post(self, path: str, **kwargs) -> web.Reply:
        return web.fetch(self.base_url + path, "POST", **kwargs)

    def login(self, email: str = DEMO_EMAIL, password: str = DEMO_PASSWORD) -> web.Reply:
        return self.post("/api/v1/auth/login/", json_body={"email": email, "password": password})

    def wait_balanced(self, timeout: float = 20.0) -> None:
        """Wait until nginx sends requests to every running WSGI backend (passive checks heal)."""
        wanted = {b.name for b in self.wsgi if b.running}
        seen: set[str] = set()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                seen.add(self.get("/healthz", timeout=5).served_by)
            if wanted <= seen:
                return
            time.sleep(0.2)
        raise TimeoutError(f"nginx served only {sorted(seen)} of {sorted(wanted)} in {timeout}s")

    def access_log_lines(self) -> list[str]:
        return self.nginx.access_log.read_text().splitlines()

    def access_log_lines_with(self, needle: str, count: int = 1, timeout: float = 5.0) -> list:
        """Wait for `count` access log lines containing `needle` (nginx logs after responding)."""
        deadline = time.monotonic() + timeout
        while True:
            lines = [line for line in self.access_log_lines() if needle in line]
            if len(lines) >= count:
                return lines
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(lines)} access log lines with {needle!r}, not {count}")
            time.sleep(0.05)


def _skip_reason() -> str | None:
    if not rig.nginx_binary():
        return "nginx is not installed (apt-get install nginx-light); the lb suite needs it"
    return sites.shared_servers_skip_reason(
        "the backends' database", "channel layer and cache shared by the backends"
    )


@pytest.fixture(scope="session")
def topology():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)

    with contextlib.ExitStack() as cleanup:
        started = rig.start_topology(
            cleanup, admin_url=os.environ["DATABASE_URL"], redis_url=os.environ["REDIS_URL"]
        )
        yield Topology(
            base_url=started.base_url,
            ws_url=f"ws://127.0.0.1:{started.port}",
            wsgi=started.wsgi,
            asgi=started.asgi,
            nginx=started.nginx,
            database_url=started.database_url,
            env=started.env,
        )


@pytest.fixture
def all_backends_up(topology):
    """Every backend running and in rotation before the test, and again after it."""
    for backend in topology.backends:
        if not backend.running:
            backend.restart()
    topology.wait_balanced()
    yield topology
    for backend in topology.backends:
        if not backend.running:
            backend.restart()
