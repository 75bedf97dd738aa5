"""Typed reads of the environment: django-environ's `Env`, held to VENUE's contract.

The settings read every knob with `env.bool`, `env.int`, `env.float`, `env.list`, `env.str`
and `env.db_url` (docs/api.md, README "Configuration"). Where django-environ's own parsing
differs from that contract, this subclass keeps the contract:

- A flag is on for `1`, `true`, `yes` or `on` (any case, spaces around ignored) and off for
  anything else; unset or empty, it takes its default. (django-environ also reads `y`, `ok`
  and any non-zero number as on, and an empty value as off.)
- A value is taken as written: one that starts with `$` is not a reference to another
  variable (django-environ's "proxied values"), so a SECRET_KEY or token may start with `$`.
- A float is read by `float()`. (django-environ drops the characters it does not expect:
  `5s` would read as 5.0 and `2.5e1` as 2.51.)
- List items are trimmed and empty items dropped: `a, b,` is `["a", "b"]`.
- A value that does not parse, or a database URL that cannot be used, stops the process with
  an ImproperlyConfigured naming the variable, never a bare ValueError.

No `.env` file is read: the environment is the only source.
"""

from typing import Any
from urllib.parse import unquote, unquote_plus, urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

NOTSET = environ.Env.NOTSET
KINDS = {int: "a whole number", float: "a number"}


def kind(cast) -> str:
    """What a value cast with `cast` has to look like, for the error message."""
    if isinstance(cast, list | tuple):
        return f"a comma-separated list, each item {kind(cast[0])}"
    return KINDS.get(cast) or f"a valid {getattr(cast, '__name__', 'value')}"


class Env(environ.Env):
    BOOLEAN_TRUE_STRINGS = ("1", "true", "yes", "on")

    def __init__(self):
        # No scheme (Env(NAME=(cast, default))): every read names its type and default.
        super().__init__()

    def get_value(self, var: str, cast=None, default: Any = NOTSET, parse_default=False):
        var = f"{self.prefix}{var}"
        value = self.ENVIRON.get(var)
        if value is None or (value == "" and cast is bool):
            if default is NOTSET:
                raise ImproperlyConfigured(f"Set the {var} environment variable.")
            if parse_default and isinstance(default, str):
                return self.parse_value(default, cast)
            return default
        if cast is None and default is not None and default is not NOTSET:
            cast = type(default)
        try:
            return self.parse_value(value, cast)
        except (TypeError, ValueError):
            # The message says it all; the ValueError behind it would only add noise.
            raise ImproperlyConfigured(f"{var} must be {kind(cast)}, not {value!r}.") from None

    @classmethod
    def parse_value(cls, value, cast):
        if cast is bool:
            return value.strip().lower() in cls.BOOLEAN_TRUE_STRINGS
        if cast is float:
            return float(value)
        if cast is list or isinstance(cast, list):
            item = cast[0] if isinstance(cast, list) else str
            return [item(part.strip()) for part in value.split(",") if part.strip()]
        return super().parse_value(value, cast)

    def db_url(self, var: str = "DATABASE_URL", default: Any = NOTSET, engine=None) -> dict:
        """A DATABASES entry from the URL in `var`; unset or empty, from `default`."""
        url = self.str(var, default="") or default
        if url is NOTSET:
            raise ImproperlyConfigured(f"Set the {var} environment variable.")
        # The URL may hold a password: name the variable and the scheme, never the value.
        try:
            parts = urlsplit(url)
            if engine is None and parts.scheme not in self.DB_SCHEMES:
                raise ImproperlyConfigured(f"{var} has an unknown scheme {parts.scheme!r}.")
            config = self.db_url_config(url, engine=engine)
        except ValueError as exc:
            raise ImproperlyConfigured(f"{var} is not a valid database URL: {exc}") from None
        # As libpq reads a URL: a "+" in the database name is a plus (django-environ: a space),
        # and a Unix-socket directory may be percent-encoded (postgres://%2Fvar%2Frun%2Fpg/db).
        path = parts.path[1:]
        if "+" in path and config.get("NAME") == unquote_plus(path):
            config["NAME"] = unquote(path)
        if isinstance(config.get("HOST"), str):
            config["HOST"] = unquote(config["HOST"])
        return config

    db = db_url
