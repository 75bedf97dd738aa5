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
    full_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "venue.settings.test", **env}
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.splitlines()
    return int(out[-2]), out[-1]


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
