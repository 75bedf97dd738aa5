"""Parallel test runs (pytest-xdist, as `make test` runs them): what the workers must not share.

Loaded early with `-p tests.support.workers` (pyproject.toml addopts), before pytest-django
reads the settings; without xdist it does nothing.

- Redis: every test flushes the cache (the root conftest's `cache.clear()` is a FLUSHDB), and
  the lb and live servers take REDIS_URL for their cache and channel layer. So each worker gets
  its own database of the same Redis: `gw0` keeps the one of REDIS_URL (15 in CI), `gw1` the
  one below it (14), and so on. PostgreSQL needs nothing here: pytest-django gives each
  worker its own test database (`test_<name>_gw0`, ...), and the server suites make
  randomly named scratch databases.
- The suites that start servers once for many tests (a session- or module-scoped fixture:
  tests/lb, tests/browser, tests/faults, tests/live) each stay on one worker
  (`xdist_group`, with `--dist loadgroup`), so their servers start once, as before.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

REDIS_DATABASES = 16  # redis.conf `databases`, the default
TESTS = Path(__file__).resolve().parents[1]
# Folders whose tests share servers started by one fixture: one xdist group each.
SERVER_SUITES = ("lb", "browser", "faults", "live")


def worker_index() -> int | None:
    """0 for xdist's `gw0`, 1 for `gw1`...; None when not running as an xdist worker."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(name[2:]) if name.startswith("gw") and name[2:].isdigit() else None


def redis_url_for_worker(url: str, index: int) -> str:
    """`url` with the Redis database `index` below its own (wrapping around at 0)."""
    parts = urlsplit(url)
    path = parts.path.strip("/")
    database = int(path) if path.isdigit() else 0
    database = (database - index) % REDIS_DATABASES
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


_index = worker_index()
if _index and os.environ.get("REDIS_URL"):
    os.environ["REDIS_URL"] = redis_url_for_worker(os.environ["REDIS_URL"], _index)


def pytest_configure(config):
    # xdist registers it too, but not when it is off (`-p no:xdist`) and --strict-markers holds.
    config.addinivalue_line("markers", "xdist_group(name): run on the same xdist worker")


@pytest.hookimpl(tryfirst=True)  # before xdist reads the marks (--dist loadgroup)
def pytest_collection_modifyitems(config, items):
    suites = {TESTS / name: name for name in SERVER_SUITES}
    for item in items:
        for parent in Path(str(item.fspath)).parents:
            if parent in suites:
                item.add_marker(pytest.mark.xdist_group(f"servers-{suites[parent]}"))
                break


# --- the fault suite's figures: recorded on a worker, printed by the controller

_fault_figures: dict = {}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """xdist, on the controller: a worker finished; keep the fault figures it recorded."""
    figures = getattr(node, "workeroutput", {}).get("fault_report")
    if figures:
        _fault_figures.update(json.loads(figures))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _fault_figures:
        from tests.faults.harness import REPORT, print_summary

        REPORT.entries.update(_fault_figures)
        print_summary(terminalreporter)
