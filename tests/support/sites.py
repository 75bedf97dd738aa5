"""A VENUE site served from a test: its environment, a scratch database, `manage.py`, backends.

The suites that run VENUE as real processes (tests/lb, tests/live, tests/browser and
tests/faults) build their fixtures from these. A helper that makes something takes the
fixture's `contextlib.ExitStack` and registers the undoing before the making, so a start
that fails half-way is cleaned up too (in reverse order).
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .servers import ROOT, Backend, free_port, inherited_env

# --- the suites


def mark_folder(items, folder: Path, marker: str) -> None:
    """Give every collected test below `folder` the marker `marker` (lb, browser, faults)."""
    import pytest  # here: bench/ and loadtests/ import this module without pytest running

    for item in items:
        if folder in Path(str(item.fspath)).parents:
            item.add_marker(getattr(pytest.mark, marker))


def is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://"))


def shared_servers_skip_reason(postgres_for: str, redis_for: str) -> str | None:
    """Why the PostgreSQL of DATABASE_URL and the Redis of REDIS_URL are not there to
    share between processes (what each is `..._for`), or None."""
    if not is_postgres(os.environ.get("DATABASE_URL", "")):
        return f"needs DATABASE_URL pointing at PostgreSQL ({postgres_for})"
    if not os.environ.get("REDIS_URL"):
        return f"needs REDIS_URL ({redis_for})"
    return None


def run_dir(cleanup: contextlib.ExitStack, prefix: str, *, traversable: bool = False) -> Path:
    """A temporary folder, removed at the end; `traversable` for servers that run as
    another OS user when we are root (nginx workers, the PostgreSQL cluster's owner)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    if traversable:
        path.chmod(0o755)
    cleanup.callback(shutil.rmtree, path, ignore_errors=True)
    return path


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


def scratch_database(cleanup: contextlib.ExitStack, admin_url: str, prefix: str) -> str:
    """A new database `<prefix><random>` next to `admin_url`'s, dropped at the end; its URL."""
    name = f"{prefix}{secrets.token_hex(4)}"
    database_url = create_database(admin_url, name)
    cleanup.callback(drop_database, admin_url, name)
    return database_url


# --- the site


def backend_env(
    database_url: str,
    static_root: Path,
    redis_url: str | None = None,
    *,
    settings: str = "venue.settings.production",
    behind_proxy: bool = True,
) -> dict[str, str]:
    """Production settings on plain-HTTP loopback, as issue #9 prescribes for the rig;
    `behind_proxy`: the client's address comes from nginx's X-Real-IP."""
    env = {
        **inherited_env(),
        "DJANGO_SETTINGS_MODULE": settings,
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "VENUE_AUTH_COOKIE_SECURE": "0",
        "VENUE_RATE_LIMITS": "off",
        "DATABASE_URL": database_url,
        "VENUE_STATIC_ROOT": str(static_root),
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    if behind_proxy:
        env["VENUE_CLIENT_IP_HEADER"] = "HTTP_X_REAL_IP"
    if redis_url is not None:
        env["REDIS_URL"] = redis_url
    return env


def manage(args: list[str], env: dict[str, str], timeout: float = 180.0) -> str:
    """Run a manage.py command with the backends' environment; return what it printed,
    raise with its output on failure."""
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
    return result.stdout


def prepare(env: dict[str, str], *, static: bool = False) -> None:
    """Migrate the database of `env` and load `seed_demo`; with `static`, collect the
    static files meanwhile."""
    with ThreadPoolExecutor(1) as pool:
        collected = static and pool.submit(manage, ["collectstatic", "--noinput", "-v", "0"], env)
        manage(["migrate", "--noinput", "-v", "0"], env)
        manage(["seed_demo"], env)
        if collected:
            collected.result(timeout=180)


def start_backends(
    cleanup: contextlib.ExitStack, logs: Path, specs: list[tuple[str, str, dict[str, str]]]
) -> list[Backend]:
    """Start a backend per (name, kind, env), logging to `logs/<name>.log`, each registered
    for stopping before it starts; return them once every one is ready."""
    backends = []
    for name, kind, env in specs:
        backend = Backend(name, kind, free_port(), env, logs / f"{name}.log")
        cleanup.callback(backend.stop)
        backend.start()
        backends.append(backend)
    for backend in backends:
        backend.wait_ready()
    return backends
