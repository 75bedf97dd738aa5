"""The load-balancer rig: VENUE backends behind nginx, as real processes on loopback.

Used by `tests/lb/conftest.py` (the `topology` fixture) and by `tests/test_compose.py`
(rendering `deploy/nginx.conf.template`); the processes, the scratch database and the
HTTP client are the shared ones of `tests/support` (`servers`, `sites`, `web`). bench/
and loadtests/ start the same topology through `rig.start_topology`, `rig.Backend` and
`rig.free_port`. Every wait here is bounded, and every process started here is stopped
by its owner (`Backend.stop`, `Nginx.stop`).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.support import sites
from tests.support.servers import ROOT, Backend, Process, free_port, tail
from tests.support.web import wait_for

NGINX_TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
PLACEHOLDER = re.compile(r"\$\{(VENUE_NGINX_[A-Z0-9_]+)\}")


# --- nginx configuration


def render_nginx_conf(values: dict[str, str], template: Path = NGINX_TEMPLATE) -> str:
    """Fill the ${VENUE_NGINX_*} placeholders as the nginx image's envsubst does; all required."""
    text = template.read_text()
    missing = sorted(set(PLACEHOLDER.findall(text)) - set(values))
    if missing:
        raise KeyError(f"no value for {', '.join(missing)}")
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def template_placeholders(template: Path = NGINX_TEMPLATE) -> set[str]:
    return set(PLACEHOLDER.findall(template.read_text()))


def loopback_nginx_values(
    run_dir: Path, listen_port: int, wsgi_ports: list[int], asgi_ports: list[int]
) -> dict[str, str]:
    return {
        "VENUE_NGINX_LISTEN": f"127.0.0.1:{listen_port}",
        "VENUE_NGINX_WEB1": f"127.0.0.1:{wsgi_ports[0]}",
        "VENUE_NGINX_WEB2": f"127.0.0.1:{wsgi_ports[1]}",
        "VENUE_NGINX_WS1": f"127.0.0.1:{asgi_ports[0]}",
        "VENUE_NGINX_WS2": f"127.0.0.1:{asgi_ports[1]}",
        "VENUE_NGINX_RUN_DIR": str(run_dir),
        "VENUE_NGINX_ACCESS_LOG": str(run_dir / "access.log"),
        "VENUE_NGINX_ERROR_LOG": str(run_dir / "error.log"),
    }


def nginx_test_config(conf: Path, run_dir: Path) -> subprocess.CompletedProcess:
    """Run `nginx -t` on a rendered configuration."""
    return subprocess.run(
        ["nginx", "-t", "-p", f"{run_dir}/", "-c", str(conf)],
        capture_output=True,
        text=True,
        timeout=30,
    )


# --- nginx


class Nginx(Process):
    def __init__(self, run_dir: Path, conf: Path, port: int):
        self.run_dir, self.conf, self.port = run_dir, conf, port
        argv = ["nginx", "-p", f"{run_dir}/", "-c", str(conf), "-g", "daemon off;"]
        super().__init__("nginx", argv, dict(os.environ), run_dir / "nginx.out")

    @property
    def access_log(self) -> Path:
        return self.run_dir / "access.log"

    @property
    def error_log(self) -> Path:
        return self.run_dir / "error.log"


def nginx_binary() -> str | None:
    return shutil.which("nginx")


# --- the whole topology


@dataclass
class Started:
    """What `start_topology` started; every process is already registered for stopping."""

    run_dir: Path
    port: int
    wsgi: list[Backend]
    asgi: list[Backend]
    nginx: Nginx
    database_url: str
    env: dict[str, str]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def start_topology(
    cleanup: contextlib.ExitStack,
    *,
    admin_url: str,
    redis_url: str,
    db_prefix: str = "venue_lb_",
    env_overrides: dict[str, str] | None = None,
    wsgi_workers: int = 2,
) -> Started:
    """Scratch database (migrated, `seed_demo`, static files), 2 gunicorn + 2 uvicorn, nginx.

    Everything made here is undone by `cleanup` (processes stopped, database dropped,
    run directory removed), in reverse order, also when a start fails half-way.
    """
    # nginx workers run as an unprivileged user when we are root: keep the dir traversable.
    run_dir = sites.run_dir(cleanup, "venue-lb-", traversable=True)
    database_url = sites.scratch_database(cleanup, admin_url, db_prefix)
    env = {
        **sites.backend_env(database_url, run_dir / "static", redis_url),
        **(env_overrides or {}),
    }
    sites.prepare(env, static=True)

    def wsgi_env(name: str) -> dict[str, str]:
        return {
            **env,
            "WEB_CONCURRENCY": str(wsgi_workers),
            "PROMETHEUS_MULTIPROC_DIR": str(run_dir / f"prometheus-{name}"),
        }

    specs = [(f"wsgi-{i}", "wsgi", wsgi_env(f"wsgi-{i}")) for i in range(2)]
    specs += [(f"asgi-{i}", "asgi", env) for i in range(2)]
    backends = sites.start_backends(cleanup, run_dir, specs)
    wsgi, asgi = backends[:2], backends[2:]

    port = free_port()
    values = loopback_nginx_values(run_dir, port, [b.port for b in wsgi], [b.port for b in asgi])
    conf = run_dir / "nginx.conf"
    conf.write_text(render_nginx_conf(values))
    nginx = Nginx(run_dir, conf, port)
    cleanup.callback(nginx.stop)
    nginx.start()
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", timeout=20, process=nginx.popen)
    except (RuntimeError, TimeoutError) as exc:
        raise RuntimeError(f"nginx: {exc}\n{tail(nginx.log)}\n{tail(nginx.error_log)}") from exc
    return Started(run_dir, port, wsgi, asgi, nginx, database_url, env)
