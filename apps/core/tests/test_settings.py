import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def load_settings(module: str, **env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DJANGO_DEBUG"}}
    code = (
        f"import importlib; s = importlib.import_module({module!r});"
        "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'],"
        " s.CHANNEL_LAYERS['default']['BACKEND'], s.CELERY_TASK_ALWAYS_EAGER)"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_secret_key():
    result = load_settings("venue.settings.production", DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_debug():
    result = load_settings("venue.settings.production", DJANGO_DEBUG="1", SECRET_KEY="x" * 60)
    assert result.returncode != 0
    assert "DJANGO_DEBUG=1" in result.stderr


def test_embedded_default_needs_nothing():
    result = load_settings("venue.settings.local", DATABASE_URL="", REDIS_URL="")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "django.db.backends.sqlite3",
        "django.core.cache.backends.locmem.LocMemCache",
        "channels.layers.InMemoryChannelLayer",
        "True",
    ]


def test_production_path_uses_postgres_and_redis():
    result = load_settings(
        "venue.settings.production",
        SECRET_KEY="y" * 60,
        DATABASE_URL="postgres://u:p@db:5432/venue",
        REDIS_URL="redis://cache:6379/0",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "django.db.backends.postgresql",
        "django_redis.cache.RedisCache",
        "channels_redis.pubsub.RedisPubSubChannelLayer",
        "False",
    ]


def test_settings_module_follows_django_debug():
    code = (
        "import os, venue; venue.use_default_settings();print(os.environ['DJANGO_SETTINGS_MODULE'])"
    )
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    for debug, expected in (("1", "venue.settings.local"), ("0", "venue.settings.production")):
        out = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env={**base, "DJANGO_DEBUG": debug},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert out == expected
