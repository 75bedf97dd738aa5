"""The load-balancer rig: VENUE backends and nginx as real processes on loopback.

Used by `tests/lb/conftest.py` (the `topology` fixture) and by `tests/test_compose.py`
(rendering `deploy/nginx.conf.template`). Every wait here is bounded, and every
process started here is stopped by its owner (`Backend.stop`, `Nginx.stop`).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.message import Message
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
NGINX_TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
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


# --- small HTTP client (stdlib only, always with a timeout)


@dataclass
class Reply:
    status: int
    headers: Message
    body: bytes
    cookies: dict[str, str] = field(default_factory=dict)

    def json(self):
        return json.loads(self.body)

    @property
    def served_by(self) -> str | None:
        """The backend label of `X-Served-By` (`wsgi-0/4711` -> `wsgi-0`)."""
        value = self.headers.get("X-Served-By")
        return value.split("/")[0] if value else None


def fetch(
    url: str,
    method: str = "GET",
    *,
    headers: dict[str, str] | None = None,
    json_body=None,
    cookies: dict[str, str] | None = None,
    timeout: float = 10.0,
) -> Reply:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    send_headers = {"Accept": "application/json", **(headers or {})}
    body = None
    if json_body is not None:
        body = json.dumps(json_body).encode()
        send_headers["Content-Type"] = "application/json"
    if cookies:
        send_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    try:
        path = urlunsplit(("", "", parts.path or "/", parts.query, ""))
        conn.request(method, path, body=body, headers=send_headers)
        response = conn.getresponse()
        data = response.read()
        jar = SimpleCookie()
        for raw in response.headers.get_all("Set-Cookie") or []:
            jar.load(raw)
        return Reply(response.status, response.headers, data, {k: m.value for k, m in jar.items()})
    finally:
        conn.close()


def wait_for(url: str, *, timeout: float, process: subprocess.Popen | None = None) -> Reply:
    """Poll `url` until it answers 200; fail early if `process` exits."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before {url} answered")
        try:
            reply = fetch(url, timeout=2)
            if reply.status == 200:
                return reply
            last = reply.status
        except OSError as exc:
            last = exc
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer 200 within {timeout}s (last: {last!r})")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# --- processes


class Process:
    """A child in its own process group, logging to a file; stopping it is bounded."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path):
        self.name, self.argv, self.env, self.log = name, argv, env, log
        self.popen: subprocess.Popen | None = None

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    def start(self) -> None:
        if self.running:
            raise RuntimeError(f"{self.name} is already running")
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                self.argv,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, sig)

    def kill(self) -> None:
        """Crash: SIGKILL the whole process group (master and workers) at once."""
        if self.popen is None:
            return
        self._signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=10)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 25.0) -> None:
        """Ask the process to stop with `sig`; SIGKILL its group if it lingers."""
        if self.popen is None:
            return
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.popen.send_signal(sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=timeout)
        # Reap anything left in the group (workers of a killed master, say).
        self._signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=10)


class Backend(Process):
    """One VENUE server: gunicorn (`kind="wsgi"`) or uvicorn (`kind="asgi"`)."""

    def __init__(self, name: str, kind: str, port: int, env: dict[str, str], log: Path):
        self.kind, self.port = kind, port
        if kind == "wsgi":
            argv = [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                str(GUNICORN_CONF),
                "--bind",
                f"127.0.0.1:{port}",
                "venue.wsgi:application",
            ]
        else:
            argv = [
                sys.executable,
                "-m",
                "uvicorn",
                "venue.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--lifespan",
                "off",
                "--no-access-log",
                # As in docker-compose.yml: tiny seat-map updates are not worth compressing.
                "--ws-per-message-deflate",
                "false",
                "--timeout-graceful-shutdown",
                "5",
            ]
        super().__init__(name, argv, {**env, "VENUE_SERVED_BY": name}, log)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 60.0) -> None:
        try:
            wait_for(f"{self.url}/readyz", timeout=timeout, process=self.popen)
        except (RuntimeError, TimeoutError) as exc:
            raise RuntimeError(f"{self.name}: {exc}\n--- log\n{tail(self.log)}") from exc

    def kill(self) -> None:
        """Crash, and return once the port refuses connections (no worker holds it any more)."""
        super().kill()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            except OSError:
                return
            time.sleep(0.02)
        raise TimeoutError(f"{self.name} still accepts connections on {self.port}")

    def graceful_stop(self) -> None:
        """What a deploy does: SIGTERM; in-flight requests finish, new connections are refused."""
        self.stop(signal.SIGTERM)

    def restart(self, timeout: float = 60.0) -> None:
        """Start again on the same port (after kill() or stop()) and wait until ready."""
        if self.running:
            self.stop()
        self.start()
        self.wait_ready(timeout)


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


# --- databases


def database_url_for(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _admin_connection(url: str):
    import psycopg

    return psycopg.connect(database_url_for(url, "postgres"), autocommit=True, connect_timeout=10)


def create_database(url: str, name: str) -> str:
    """Create database `name` on the server of `url`; return its URL."""
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise ValueError(name)
    with _admin_connection(url) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_url_for(url, name)


def drop_database(url: str, name: str) -> None:
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise ValueError(name)
    with _admin_connection(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(args: list[str], env: dict[str, str], timeout: float = 180.0) -> None:
    """Run a manage.py command with the backends' environment; raise with its output on failure."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


# --- the whole topology


def backend_env(database_url: str, static_root: Path, redis_url: str) -> dict[str, str]:
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
        "REDIS_URL": redis_url,
        "VENUE_STATIC_ROOT": str(static_root),
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


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
    run_dir = Path(tempfile.mkdtemp(prefix="venue-lb-"))
    run_dir.chmod(0o755)
    cleanup.callback(shutil.rmtree, run_dir, ignore_errors=True)

    db_name = f"{db_prefix}{secrets.token_hex(4)}"
    database_url = create_database(admin_url, db_name)
    cleanup.callback(drop_database, admin_url, db_name)

    env = {**backend_env(database_url, run_dir / "static", redis_url), **(env_overrides or {})}
    with ThreadPoolExecutor(2) as pool:
        static = pool.submit(manage, ["collectstatic", "--noinput", "-v", "0"], env)
        manage(["migrate", "--noinput", "-v", "0"], env)
        manage(["seed_demo"], env)
        static.result(timeout=180)

    wsgi: list[Backend] = []
    asgi: list[Backend] = []
    for kind, group in (("wsgi", wsgi), ("asgi", asgi)):
        for index in range(2):
            name = f"{kind}-{index}"
            extra = {}
            if kind == "wsgi":
                extra = {
                    "WEB_CONCURRENCY": str(wsgi_workers),
                    "PROMETHEUS_MULTIPROC_DIR": str(run_dir / f"prometheus-{name}"),
                }
            backend = Backend(name, kind, free_port(), {**env, **extra}, run_dir / f"{name}.log")
            group.append(backend)
            # Registered before start: a failed start still gets its processes stopped.
            cleanup.callback(backend.stop)
            backend.start()
    for backend in [*wsgi, *asgi]:
        backend.wait_ready()

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
