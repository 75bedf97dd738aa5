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
import secrets
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from . import rig

TEST_PASSWORD = "venue-demo-pass"  # manage.py seed_demo (API.md)
TEST_EMAIL = "demo@venue.test"


def pytest_collection_modifyitems(config, items):
    lb_dir = Path(__file__).parent
    for item in items:
        if lb_dir in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.lb)


@dataclass
class Topology:
    base_url: str
    ws_url: str
    wsgi: list[rig.Backend]
    asgi: list[rig.Backend]
    nginx: rig.Nginx
    database_url: str
    env: dict[str, str]

    @property
    def backends(self) -> list[rig.Backend]:
        return [*self.wsgi, *self.asgi]

    def get(self, path: str, **kwargs) -> rig.Reply:
        return rig.fetch(self.base_url + path, **kwargs)

    def post(self, path: str, **kwargs) -> rig.Reply:
        return rig.fetch(self.base_url + path, "POST", **kwargs)

    def login(self, email: str = TEST_EMAIL, password: str = TEST_PASSWORD) -> rig.Reply:
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
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        return "the lb suite needs DATABASE_URL pointing at PostgreSQL"
    if not os.environ.get("REDIS_URL"):
        return "the lb suite needs REDIS_URL (channel layer and cache shared by the backends)"
    return None


def backend_env(database_url: str, static_root: Path) -> dict[str, str]:
    """Production settings on plain-HTTP loopback, as issue #9 prescribes for the rig."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")
    return {
        **{k: os.environ[k] for k in keep if k in os.environ},
        "DJANGO_SETTINGS_MODULE": "venue.settings.production",
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "VENUE_AUTH_COOKIE_SECURE": "0",
        "VENUE_CLIENT_IP_HEADER": "HTTP_X_REAL_IP",
        "VENUE_RATE_LIMITS": "off",
        "DATABASE_URL": database_url,
        "REDIS_URL": os.environ["REDIS_URL"],
        "VENUE_STATIC_ROOT": str(static_root),
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


@pytest.fixture(scope="session")
def topology():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)

    with contextlib.ExitStack() as cleanup:
        # nginx workers run as an unprivileged user when we are root: keep the dir traversable.
        run_dir = Path(tempfile.mkdtemp(prefix="venue-lb-"))
        run_dir.chmod(0o755)
        cleanup.callback(shutil.rmtree, run_dir, ignore_errors=True)

        admin_url = os.environ["DATABASE_URL"]
        db_name = f"venue_lb_{secrets.token_hex(4)}"
        database_url = rig.create_database(admin_url, db_name)
        cleanup.callback(rig.drop_database, admin_url, db_name)

        env = backend_env(database_url, run_dir / "static")
        with ThreadPoolExecutor(2) as pool:
            static = pool.submit(rig.manage, ["collectstatic", "--noinput", "-v", "0"], env)
            rig.manage(["migrate", "--noinput", "-v", "0"], env)
            rig.manage(["seed_demo"], env)
            static.result(timeout=180)

        wsgi, asgi = [], []
        for kind, group in (("wsgi", wsgi), ("asgi", asgi)):
            for index in range(2):
                name = f"{kind}-{index}"
                extra = {}
                if kind == "wsgi":
                    extra = {
                        "WEB_CONCURRENCY": "2",
                        "PROMETHEUS_MULTIPROC_DIR": str(run_dir / f"prometheus-{name}"),
                    }
                backend = rig.Backend(
                    name, kind, rig.free_port(), {**env, **extra}, run_dir / f"{name}.log"
                )
                group.append(backend)
                # Registered before start: a failed start still gets its processes stopped.
                cleanup.callback(backend.stop)
                backend.start()
        for backend in [*wsgi, *asgi]:
            backend.wait_ready()

        port = rig.free_port()
        values = rig.loopback_nginx_values(
            run_dir, port, [b.port for b in wsgi], [b.port for b in asgi]
        )
        conf = run_dir / "nginx.conf"
        conf.write_text(rig.render_nginx_conf(values))
        nginx = rig.Nginx(run_dir, conf, port)
        cleanup.callback(nginx.stop)
        nginx.start()
        try:
            rig.wait_for(f"http://127.0.0.1:{port}/healthz", timeout=20, process=nginx.popen)
        except (RuntimeError, TimeoutError) as exc:
            raise RuntimeError(f"nginx: {exc}\n{rig.tail(nginx.log)}\n{rig.tail(nginx.error_log)}")

        yield Topology(
            base_url=f"http://127.0.0.1:{port}",
            ws_url=f"ws://127.0.0.1:{port}",
            wsgi=wsgi,
            asgi=asgi,
            nginx=nginx,
            database_url=database_url,
            env=env,
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
