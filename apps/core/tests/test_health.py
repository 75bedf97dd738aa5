import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.django_db


def test_healthz_answers_while_the_process_lives(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_200_when_dependencies_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert "database" in response.json()["checks"]
    assert ("redis" in response.json()["checks"]) == bool(settings.REDIS_URL)


def readyz_in_subprocess(**env) -> tuple[int, str]:
    """Ask /readyz of a fresh process configured by `env` (a real unreachable service)."""
    code = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/readyz', HTTP_HOST='localhost');"
        "print(r.status_code); print(r.content.decode())"
    )
    out = fresh_process(code, **env)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    return int(lines[-2]), lines[-1]


def fresh_process(code: str, **env) -> subprocess.CompletedProcess:
    """Run `code` in a new interpreter with the test settings and `env`."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "venue.settings.test", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_readyz_is_503_when_the_database_points_at_nothing():
    status, body = readyz_in_subprocess(
        DATABASE_URL="postgres://nobody@127.0.0.1:1/nothing", REDIS_URL=""
    )
    assert status == 503
    assert "database" in body and "unreachable" in body


def test_readyz_is_503_when_redis_points_at_nothing(tmp_path):
    status, body = readyz_in_subprocess(
        DATABASE_URL=f"sqlite:///{tmp_path / 'ready.sqlite3'}", REDIS_URL="redis://127.0.0.1:1/0"
    )
    assert status == 503
    assert "redis" in body and "database" not in body


# In a fresh interpreter: start Django, then let several threads make the first uses a
# new worker's request threads make at once (cache backend, /readyz, Celery's broker).
FIRST_REQUESTS = """
import importlib, sys, threading
import django
django.setup()
print("loaded:", all(m in sys.modules for m in ("redis", "redis.client", "redis.sentinel")))
sys.setswitchinterval(1e-6)
names = ["redis.sentinel", "redis", "django_redis.client", "kombu.transport.redis"] * 2
barrier = threading.Barrier(len(names))
errors = []
def first_use(name):
    barrier.wait()
    try:
        importlib.import_module(name)
    except Exception as exc:
        errors.append(repr(exc))
threads = [threading.Thread(target=first_use, args=(n,)) for n in names]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("errors:", errors)
"""


def test_redis_client_is_imported_at_startup_not_by_racing_request_threads():
    """redis-py's first import is not thread-safe (its package imports itself in a cycle):
    a fresh gunicorn worker answered /readyz 500 with "partially initialized module
    'redis.client'" while another request thread created the cache backend. Django's
    start-up (apps.core's ready()) imports it, on one thread, before any request."""
    result = fresh_process(FIRST_REQUESTS)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["loaded: True", "errors: []"], result.stdout
