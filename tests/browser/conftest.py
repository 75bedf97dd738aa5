"""Browser tests: Playwright driving the system Chromium against a real uvicorn (HTTP + WebSocket).

A session fixture makes a scratch database (PostgreSQL next to DATABASE_URL, else a
temp SQLite file), migrates it, loads `seed_demo`, and serves `venue.asgi:application`
with the production settings on a free loopback port (the helpers of tests/lb/rig.py).
Tests set up extra data through `manage.py shell` against that same database. Every
page gets a console/pageerror listener: any error fails the test. Screenshots go to
artifacts/screenshots/. Skipped with the reason when /usr/bin/chromium or Playwright
is missing.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.lb import rig

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
DEMO_PASSWORD = "venue-demo-pass"


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


def _skip_reason() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (apt-get install chromium); browser tests need it"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -r requirements/dev.txt)"
    return None


@dataclass
class Site:
    base_url: str
    env: dict[str, str]

    def url(self, path: str) -> str:
        return self.base_url + path

    def shell(self, code: str, timeout: float = 60.0) -> str:
        """Run Python in `manage.py shell` against the served database; return its last line."""
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(f"shell failed:\n{result.stdout}\n{result.stderr}")
        lines = result.stdout.strip().splitlines()
        return lines[-1] if lines else ""


def _server_env(database_url: str, static_root: Path) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")
    return {
        **{k: os.environ[k] for k in keep if k in os.environ},
        "DJANGO_SETTINGS_MODULE": "tests.browser.settings",
        "DJANGO_DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "VENUE_AUTH_COOKIE_SECURE": "0",
        "VENUE_RATE_LIMITS": "off",
        "DATABASE_URL": database_url,
        # One process: the in-memory channel layer and eager Celery are enough.
        "VENUE_STATIC_ROOT": str(static_root),
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


@pytest.fixture(scope="session")
def site():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    with contextlib.ExitStack() as cleanup:
        run_dir = Path(tempfile.mkdtemp(prefix="venue-browser-"))
        cleanup.callback(shutil.rmtree, run_dir, ignore_errors=True)
        admin_url = os.environ.get("DATABASE_URL", "")
        if admin_url.startswith(("postgres://", "postgresql://")):
            name = f"venue_browser_{secrets.token_hex(4)}"
            database_url = rig.create_database(admin_url, name)
            cleanup.callback(rig.drop_database, admin_url, name)
        else:
            database_url = f"sqlite:///{run_dir / 'db.sqlite3'}"
        env = _server_env(database_url, run_dir / "static")
        rig.manage(["migrate", "--noinput", "-v", "0"], env)
        rig.manage(["seed_demo"], env)
        rig.manage(["collectstatic", "--noinput", "-v", "0"], env)
        server = rig.Backend("asgi-browser", "asgi", rig.free_port(), env, run_dir / "server.log")
        # Keep the server's log as an artifact (registered first: runs after the stop).
        SCREENSHOTS.parent.mkdir(parents=True, exist_ok=True)
        cleanup.callback(
            lambda: (
                shutil.copy(server.log, SCREENSHOTS.parent / "browser-server.log")
                if server.log.exists()
                else None
            )
        )
        cleanup.callback(server.stop)
        server.start()
        try:
            server.wait_ready()
        except (RuntimeError, TimeoutError) as exc:
            raise RuntimeError(f"{exc}\n{rig.tail(server.log)}") from exc
        yield Site(base_url=server.url, env=env)


@pytest.fixture(scope="session")
def browser(site):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=30_000
        )
        try:
            yield chromium
        finally:
            chromium.close()


class ConsoleWatch:
    """Collects console errors and uncaught exceptions of every page it watches."""

    def __init__(self):
        self.errors: list[str] = []
        self.allowed: list[str] = []

    def watch(self, page):
        page.on(
            "console",
            lambda msg: msg.type == "error" and self.errors.append(f"console: {msg.text}"),
        )
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        return page

    def allow(self, fragment: str) -> None:
        """Expect console lines containing `fragment` (e.g. the 409 of a lost race)."""
        self.allowed.append(fragment)

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(a in e for a in self.allowed)]


@pytest.fixture
def console():
    watch = ConsoleWatch()
    yield watch
    assert watch.unexpected() == [], "errors in the browser console"


@pytest.fixture
def new_page(browser, site, console):
    """Make pages in fresh browser contexts (separate cookies), all watched for errors."""
    contexts = []

    def make(viewport=None):
        context = browser.new_context(
            base_url=site.base_url, viewport=viewport or {"width": 1280, "height": 900}
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return console.watch(context.new_page())

    yield make
    for context in contexts:
        context.close()


def login(page, email: str, password: str = DEMO_PASSWORD, next_path: str = "/") -> None:
    page.goto(f"/login/?next={next_path}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{next_path}")


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def check_a11y(page) -> list[dict]:
    """Run axe-core in the page; return the serious and critical violations."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Served by the app itself, so the strict CSP (script-src 'self') allows it.
        page.add_script_tag(url="/static/vendor/axe/axe.min.js")
    result = page.evaluate(
        """async () => {
            const r = await window.axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
        }"""
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


def assert_accessible(page) -> None:
    violations = check_a11y(page)
    assert violations == [], f"axe: {violations}"
