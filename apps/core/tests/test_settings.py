import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from venue.settings.environment import Env

ROOT = Path(__file__).resolve().parents[3]


def load_settings(module: str, **env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DJANGO_DEBUG"}}
    code = (
        f"import importlib; s = importlib.import_module({module!r});"
        "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'],"
        " s.CHANNEL_LAYERS['default']['BACKEND'], s.CELERY_TASK_ALWAYS_EAGER)"
    )
    return _python(code, {**base, **env})


def _python(code: str, env: dict) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter at the project's root with exactly `env`."""
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
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
        result = _python(code, {**base, "DJANGO_DEBUG": debug})
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == expected


# --- Reading the environment (venue/settings/environment.py, django-environ) ---------------

OWN_VARIABLES = ("VENUE_", "DJANGO_", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL")


def settings_of(module: str, names: list[str], **env) -> subprocess.CompletedProcess:
    """`names` of `module` as JSON, loaded with only `env` set of the variables VENUE reads."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(OWN_VARIABLES)}
    code = (
        f"import importlib, json; s = importlib.import_module({module!r});"
        f"print(json.dumps({{n: getattr(s, n) for n in {names!r}}}, default=str))"
    )
    return _python(code, {**base, **env})


def loaded(module: str, names: list[str], **env) -> dict:
    result = settings_of(module, names, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def env(monkeypatch):
    def given(**values):
        for name, value in values.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        return Env()

    return given


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "yes", "on", "On", " on "])
def test_a_flag_is_on_for_the_documented_values(env, value):
    assert env(VENUE_FLAG=value).bool("VENUE_FLAG", default=False) is True


# The contract's "off" values, and what django-environ alone would read as on (y, ok, 2).
@pytest.mark.parametrize("value", ["0", "off", "OFF", "false", "no", " ", "y", "ok", "2", "x"])
def test_a_flag_is_off_for_anything_else(env, value):
    assert env(VENUE_FLAG=value).bool("VENUE_FLAG", default=True) is False


@pytest.mark.parametrize("value", [None, ""])
@pytest.mark.parametrize("default", [True, False])
def test_an_unset_or_empty_flag_takes_its_default(env, value, default):
    assert env(VENUE_FLAG=value).bool("VENUE_FLAG", default=default) is default


def test_a_list_is_comma_separated_trimmed_without_empty_items(env):
    read = env(VENUE_LIST=" a.example , b.example,, ").list
    assert read("VENUE_LIST", default=["x"]) == ["a.example", "b.example"]
    # Empty is an empty list (no host, no metrics network), not the default.
    assert env(VENUE_LIST="").list("VENUE_LIST", default=["x"]) == []
    assert env(VENUE_LIST=None).list("VENUE_LIST", default=["x"]) == ["x"]


def test_numbers_read_as_python_reads_them(env):
    assert env(VENUE_N=" 42 ").int("VENUE_N", default=1) == 42
    assert env(VENUE_N=None).int("VENUE_N", default=300) == 300
    assert env(VENUE_F="2.5e1").float("VENUE_F", default=1.0) == 25.0
    assert env(VENUE_F="0").float("VENUE_F", default=5.0) == 0.0


@pytest.mark.parametrize(
    ("read", "value", "message"),
    [
        ("int", "abc", "VENUE_KNOB must be a whole number, not 'abc'."),
        ("int", "", "VENUE_KNOB must be a whole number, not ''."),
        ("int", "1.5", "VENUE_KNOB must be a whole number, not '1.5'."),
        ("float", "5s", "VENUE_KNOB must be a number, not '5s'."),
        ("float", "1,5", "VENUE_KNOB must be a number, not '1,5'."),
    ],
)
def test_a_value_that_does_not_parse_is_a_configuration_error(env, read, value, message):
    with pytest.raises(ImproperlyConfigured) as error:
        getattr(env(VENUE_KNOB=value), read)("VENUE_KNOB", default=1)
    assert str(error.value) == message


def test_a_value_starting_with_a_dollar_is_taken_as_written(env):
    # django-environ alone would look up a variable named "HOME" here.
    reader = env(SECRET_KEY="$HOME-is-part-of-the-key", HOME="/root")
    assert reader.str("SECRET_KEY", default="") == "$HOME-is-part-of-the-key"


def test_database_urls_read_as_libpq_reads_them(env):
    config = env(DATABASE_URL="postgres://u:p%40ss+w@db:6432/ve+nue?sslmode=require").db_url()
    assert config == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "ve+nue",
        "USER": "u",
        "PASSWORD": "p@ss+w",
        "HOST": "db",
        "PORT": 6432,
        "OPTIONS": {"sslmode": "require"},
    }
    socket = env(DATABASE_URL="postgres://%2Fvar%2Frun%2Fpostgresql/venue").db_url()
    assert (socket["HOST"], socket["NAME"]) == ("/var/run/postgresql", "venue")
    fallback = env(DATABASE_URL="").db_url(default="sqlite:////tmp/venue.sqlite3")
    assert fallback["NAME"] == "/tmp/venue.sqlite3"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mongodb://u:secret@db/venue", "DATABASE_URL has an unknown scheme 'mongodb'"),
        ("postgres://u:secret@db:port/venue", "DATABASE_URL is not a valid database URL"),
    ],
)
def test_an_unusable_database_url_names_the_variable_not_the_password(env, url, message):
    with pytest.raises(ImproperlyConfigured, match=message) as error:
        env(DATABASE_URL=url).db_url()
    assert "secret" not in str(error.value)


def test_an_invalid_setting_stops_the_start_with_a_clear_message():
    result = settings_of("venue.settings.base", ["VENUE_HOLD_SECONDS"], VENUE_HOLD_SECONDS="abc")
    assert result.returncode != 0
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line == (
        "django.core.exceptions.ImproperlyConfigured: "
        "VENUE_HOLD_SECONDS must be a whole number, not 'abc'."
    )
    assert "ValueError" not in result.stderr


def test_postgres_url_builds_the_pooled_database_settings():
    tuned = loaded(
        "venue.settings.base",
        ["DATABASES"],
        DATABASE_URL="postgres://u:p@db:5432/venue",
        VENUE_DB_POOL_MIN_SIZE="2",
        VENUE_DB_POOL_MAX_SIZE="12",
        VENUE_DB_POOL_TIMEOUT="1.5",
        VENUE_DB_STATEMENT_TIMEOUT_MS="0",
        VENUE_DB_CONNECT_TIMEOUT="9",
        VENUE_DB_DISABLE_SERVER_SIDE_CURSORS="yes",
    )
    assert tuned["DATABASES"] == {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "venue",
            "USER": "u",
            "PASSWORD": "p",
            "HOST": "db",
            "PORT": 5432,
            "CONN_MAX_AGE": 0,
            "CONN_HEALTH_CHECKS": True,
            "DISABLE_SERVER_SIDE_CURSORS": True,
            "ATOMIC_REQUESTS": False,
            "OPTIONS": {
                "options": "-c statement_timeout=0",
                "connect_timeout": 9,
                "pool": {"min_size": 2, "max_size": 12, "timeout": 1.5},
            },
        }
    }


@pytest.mark.parametrize("off", ["off", "0"])
def test_the_defaults_and_off_flags_on_postgres(off):
    default = loaded(
        "venue.settings.base",
        ["DATABASES", "RATELIMIT_ENABLE", "VENUE_EMBEDDED_BEAT"],
        DATABASE_URL="postgres://u@db/venue",
    )
    assert default["DATABASES"]["default"]["OPTIONS"] == {
        "options": "-c statement_timeout=15000",
        "connect_timeout": 3,
        "pool": {"min_size": 1, "max_size": 8, "timeout": 5.0},
    }
    assert default["DATABASES"]["default"]["DISABLE_SERVER_SIDE_CURSORS"] is False
    assert default["RATELIMIT_ENABLE"] is True
    assert default["VENUE_EMBEDDED_BEAT"] is True
    switched = loaded(
        "venue.settings.base",
        ["DATABASES", "RATELIMIT_ENABLE", "VENUE_EMBEDDED_BEAT"],
        DATABASE_URL="postgres://u@db/venue",
        VENUE_DB_POOL=off,
        VENUE_RATE_LIMITS=off,
        VENUE_EMBEDDED_BEAT=off,
    )
    assert "pool" not in switched["DATABASES"]["default"]["OPTIONS"]
    assert switched["DATABASES"]["default"]["CONN_MAX_AGE"] == 0
    assert switched["RATELIMIT_ENABLE"] is False
    assert switched["VENUE_EMBEDDED_BEAT"] is False


def test_the_embedded_database_is_sqlite_next_to_the_code():
    embedded = loaded("venue.settings.base", ["DATABASES"], DATABASE_URL="")
    assert embedded["DATABASES"]["default"] == {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(ROOT / "db.sqlite3"),
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "DISABLE_SERVER_SIDE_CURSORS": False,
        "ATOMIC_REQUESTS": False,
        "OPTIONS": {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }


def test_the_other_knobs_keep_their_defaults_and_read_their_variables():
    names = [
        "ALLOWED_HOSTS",
        "VENUE_METRICS_ALLOWED_IPS",
        "VENUE_HOLD_SECONDS",
        "VENUE_CONFIRM_SETTLE_SECONDS",
        "VENUE_UPLOAD_MAX_BYTES",
        "VENUE_RATE_LIMIT_TIERS",
        "LOG_LEVEL",
        "STATIC_ROOT",
    ]
    default = loaded("venue.settings.base", names)
    assert default["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost"]
    assert default["VENUE_METRICS_ALLOWED_IPS"] == ["127.0.0.0/8", "::1"]
    assert (default["VENUE_HOLD_SECONDS"], default["VENUE_CONFIRM_SETTLE_SECONDS"]) == (300, 8.0)
    assert default["VENUE_UPLOAD_MAX_BYTES"] == 5 * 1024 * 1024
    assert default["VENUE_RATE_LIMIT_TIERS"]["booking"] == "20/m"
    assert (default["LOG_LEVEL"], default["STATIC_ROOT"]) == ("INFO", str(ROOT / "staticfiles"))
    given = loaded(
        "venue.settings.base",
        names,
        ALLOWED_HOSTS="venue.example, www.venue.example",
        VENUE_METRICS_ALLOWED_IPS="",
        VENUE_HOLD_SECONDS="120",
        VENUE_CONFIRM_SETTLE_SECONDS="0.5",
        VENUE_UPLOAD_MAX_BYTES="1024",
        VENUE_RATE_BOOKING="10/m",
        LOG_LEVEL="WARNING",
        VENUE_STATIC_ROOT="/srv/static",
    )
    assert given["ALLOWED_HOSTS"] == ["venue.example", "www.venue.example"]
    assert given["VENUE_METRICS_ALLOWED_IPS"] == []  # only the token opens /metrics
    assert (given["VENUE_HOLD_SECONDS"], given["VENUE_CONFIRM_SETTLE_SECONDS"]) == (120, 0.5)
    assert given["VENUE_UPLOAD_MAX_BYTES"] == 1024
    assert given["VENUE_RATE_LIMIT_TIERS"]["booking"] == "10/m"
    assert (given["LOG_LEVEL"], given["STATIC_ROOT"]) == ("WARNING", "/srv/static")


def test_production_flags():
    names = ["SECURE_SSL_REDIRECT", "VENUE_AUTH_COOKIE_SECURE", "DEBUG"]
    key = {"SECRET_KEY": "k" * 60}
    assert loaded("venue.settings.production", names, **key) == {
        "SECURE_SSL_REDIRECT": True,
        "VENUE_AUTH_COOKIE_SECURE": True,
        "DEBUG": False,
    }
    plain = loaded(
        "venue.settings.production", names, SECURE_SSL_REDIRECT="0", DJANGO_DEBUG="", **key
    )
    assert plain["SECURE_SSL_REDIRECT"] is False
    assert plain["DEBUG"] is False
    # A generated key may start with "$": it is the key, not a reference to a variable.
    dollar = settings_of("venue.settings.production", ["SECRET_KEY"], SECRET_KEY="$" + "k" * 59)
    assert dollar.returncode == 0, dollar.stderr
    assert json.loads(dollar.stdout)["SECRET_KEY"] == "$" + "k" * 59
