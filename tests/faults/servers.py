"""The fault suite's own servers: a PostgreSQL cluster, a Redis and a Celery worker.

Each is a `rig.Process` (its own process group, a log file, bounded stops), so the
suite can kill or restart it on purpose and always stops it by pid at the end.
Nothing here touches the machine's own PostgreSQL or Redis: the cluster lives in a
temporary folder and both listen on free loopback ports.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg

from tests.lb import rig

PG_BIN_DIRS = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/local/pgsql/bin")


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


def skip_reason() -> str | None:
    if postgres_bindir() is None:
        return "PostgreSQL server binaries (initdb, postgres) not found; set VENUE_PG_BIN"
    if cluster_owner() is None:
        return "running as root and there is no `postgres` OS user to own the cluster"
    if shutil.which("redis-server") is None:
        return "redis-server is not on PATH"
    return None


def _plain_env() -> dict[str, str]:
    """The little of our environment a database server needs."""
    return {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "TZ")}


def _wait_until(check, *, timeout: float, what: str, process: rig.Process) -> None:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        if not process.running:
            raise RuntimeError(f"{what} exited\n--- log\n{rig.tail(process.log)}")
        try:
            check()
            return
        except Exception as exc:  # not up yet
            last = exc
        time.sleep(0.1)
    raise TimeoutError(f"{what} not ready within {timeout}s ({last!r})\n{rig.tail(process.log)}")


class PostgresServer(rig.Process):
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
        super().__init__("postgres", argv, _plain_env(), root / "postgres.log")

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
        def check():
            with psycopg.connect(self.admin_url, connect_timeout=2, autocommit=True) as conn:
                conn.execute("SELECT 1")

        _wait_until(check, timeout=timeout, what="postgres", process=self)

    def shutdown(self, mode: str = "fast", timeout: float = 20.0) -> None:
        """`pg_ctl stop -m fast|immediate`, by signal: every session is cut off."""
        sig = {"smart": signal.SIGTERM, "fast": signal.SIGINT, "immediate": signal.SIGQUIT}[mode]
        self.stop(sig, timeout=timeout)


class RedisServer(rig.Process):
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
        super().__init__("redis", argv, _plain_env(), root / "redis.log")

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

        _wait_until(check, timeout=timeout, what="redis", process=self)


class CeleryWorker(rig.Process):
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

        _wait_until(check, timeout=timeout, what="celery worker", process=self)

    def kill_group(self) -> None:
        """SIGKILL the whole group: the main process, its pool children and beat."""
        self.kill()
