"""Servers as child processes: VENUE (gunicorn or uvicorn), Celery, a PostgreSQL, a Redis.

Each is a `Process`: its own process group, a log file, bounded stops, so a test can
kill or restart it on purpose and its fixture always stops it by pid at the end. The
PostgreSQL and the Redis here are scratch servers: the cluster lives in a folder the
caller makes and both listen on free loopback ports; nothing here touches the
machine's own PostgreSQL or Redis.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from .web import wait_for

ROOT = Path(__file__).resolve().parents[2]  # the checkout: where manage.py runs
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
PG_BIN_DIRS = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/local/pgsql/bin")
INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def inherited_env(names: tuple[str, ...] = INHERITED) -> dict[str, str]:
    """The few variables of our environment a child server needs (no DATABASE_URL & co)."""
    return {k: os.environ[k] for k in names if k in os.environ}


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


def wait_until(check, *, timeout: float, what: str, process: Process) -> None:
    """Call `check` until it stops raising; fail early, with the log, if `process` exits."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if not process.running:
            raise RuntimeError(f"{what} exited\n--- log\n{tail(process.log)}")
        try:
            check()
            return
        except Exception as exc:  # not up yet
            last = exc
        time.sleep(0.1)
    raise TimeoutError(f"{what} not ready within {timeout}s ({last!r})\n{tail(process.log)}")


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


class CeleryWorker(Process):
    """`celery -A venue worker -B`, as `make worker` runs it (beat embedded)."""

    def __init__(self, root: Path, env: dict[str, str], *, concurrency: int = 2):
        argv = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "venue",
            "worker",
            "-B",
            "--loglevel",
            "INFO",
            "--concurrency",
            str(concurrency),
            "--hostname",
            f"faults-{os.getpid()}@%h",
            # Beat's schedule file in our temporary folder, not in the working tree.
            "--schedule",
            str(root / "celerybeat-schedule"),
        ]
        super().__init__("celery", argv, env, root / "celery.log")

    def start(self) -> None:
        self._log_offset = self.log.stat().st_size if self.log.exists() else 0
        super().start()

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until the worker started last logs that it is ready (it then consumes the queue)."""

        def check():
            with self.log.open("rb") as log:
                log.seek(self._log_offset)
                if b"ready." not in log.read():
                    raise RuntimeError("not ready yet")

        wait_until(check, timeout=timeout, what="celery worker", process=self)

    def kill_group(self) -> None:
        """SIGKILL the whole group: the main process, its pool children and beat."""
        self.kill()


# --- scratch PostgreSQL and Redis


def postgres_bindir() -> Path | None:
    """Where initdb and postgres are (VENUE_PG_BIN, the Debian path, or PATH)."""
    candidates = [os.environ.get("VENUE_PG_BIN"), *PG_BIN_DIRS]
    found = shutil.which("initdb")
    if found:
        candidates.append(str(Path(found).parent))
    for candidate in filter(None, candidates):
        path = Path(candidate)
        if (path / "initdb").is_file() and (path / "postgres").is_file():
            return path
    return None


def cluster_owner() -> pwd.struct_passwd | None:
    """The OS user to run the cluster as: ourselves, or `postgres` when we are root."""
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid())
    with contextlib.suppress(KeyError):
        return pwd.getpwnam("postgres")
    return None


def scratch_skip_reason() -> str | None:
    """Why a scratch PostgreSQL and Redis cannot be started here, or None."""
    if postgres_bindir() is None:
        return "PostgreSQL server binaries (initdb, postgres) not found; set VENUE_PG_BIN"
    if cluster_owner() is None:
        return "running as root and there is no `postgres` OS user to own the cluster"
    if shutil.which("redis-server") is None:
        return "redis-server is not on PATH"
    return None


def _server_env() -> dict[str, str]:
    """The little of our environment a database server needs."""
    return inherited_env(("PATH", "LANG", "LC_ALL", "TZ"))


class PostgresServer(Process):
    """One PostgreSQL cluster in `root/pg`, owned by `cluster_owner()`, on 127.0.0.1:`port`."""

    def __init__(self, root: Path, port: int, *, max_connections: int = 100):
        self.bindir = postgres_bindir()
        self.owner = cluster_owner()
        self.port = port
        self.home = root / "pg"
        self.data = self.home / "data"
        settings = {
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": self.home,
            "max_connections": max_connections,
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
        }
        argv = [str(self.bindir / "postgres"), "-D", str(self.data), "-p", str(port)]
        argv += [arg for name, value in settings.items() for arg in ("-c", f"{name}={value}")]
        super().__init__("postgres", argv, _server_env(), root / "postgres.log")

    @property
    def admin_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _as_owner(self) -> dict:
        if os.geteuid() != 0:
            return {}
        return {"user": self.owner.pw_uid, "group": self.owner.pw_gid, "extra_groups": []}

    def init(self) -> None:
        self.home.mkdir(mode=0o700)
        os.chown(self.home, self.owner.pw_uid, self.owner.pw_gid)
        result = subprocess.run(
            [
                str(self.bindir / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            ],
            cwd=self.home,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            **self._as_owner(),
        )
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{result.stdout}\n{result.stderr}")

    def start(self) -> None:
        """The postmaster itself is our child (no su/runuser in between), so its pid and
        process group are ours to signal: SIGINT is a fast stop, SIGQUIT an immediate one."""
        if self.running:
            raise RuntimeError("postgres is already running")
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                self.argv,
                cwd=self.home,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **self._as_owner(),
            )

    def wait_ready(self, timeout: float = 30.0) -> None:
        import psycopg

        def check():
            with psycopg.connect(self.admin_url, connect_timeout=2, autocommit=True) as conn:
                conn.execute("SELECT 1")

        wait_until(check, timeout=timeout, what="postgres", process=self)

    def shutdown(self, mode: str = "fast", timeout: float = 20.0) -> None:
        """`pg_ctl stop -m fast|immediate`, by signal: every session is cut off."""
        sig = {"smart": signal.SIGTERM, "fast": signal.SIGINT, "immediate": signal.SIGQUIT}[mode]
        self.stop(sig, timeout=timeout)


class RedisServer(Process):
    """`redis-server` on 127.0.0.1:`port`, nothing saved: a SIGKILL loses everything in it."""

    def __init__(self, root: Path, port: int):
        self.port = port
        options = {
            "port": port,
            "bind": "127.0.0.1",
            "save": "",  # nothing saved: a SIGKILL loses everything
            "appendonly": "no",
            "dir": root,
            "daemonize": "no",
        }
        argv = [shutil.which("redis-server") or "redis-server"]
        argv += [arg for name, value in options.items() for arg in (f"--{name}", str(value))]
        super().__init__("redis", argv, _server_env(), root / "redis.log")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def wait_ready(self, timeout: float = 15.0) -> None:
        import redis

        def check():
            client = redis.Redis(port=self.port, socket_connect_timeout=1, socket_timeout=1)
            try:
                client.ping()
            finally:
                client.close()

        wait_until(check, timeout=timeout, what="redis", process=self)
