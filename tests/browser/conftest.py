"""Browser tests: Playwright driving the system Chromium against a real uvicorn (HTTP + WebSocket).

A session fixture makes a scratch database (PostgreSQL next to DATABASE_URL, else a
temp SQLite file), migrates it, loads `seed_demo`, and serves `venue.asgi:application`
with the production settings on a free loopback port (the helpers of tests/support/sites.py).
Tests set up extra data through `manage.py shell` against that same database. Every
page gets a console/pageerror listener: any error fails the test. Screenshots go to
artifacts/screenshots/. Skipped with the reason when /usr/bin/chromium or Playwright
is missing.
"""

from __future__ import annotations

import contextlib
import email
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import sites
from tests.support.demo import DEMO_PASSWORD
from tests.support.servers import ROOT

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
SCREENSHOTS = ROOT / "artifacts" / "screenshots"


def pytest_collection_modifyitems(config, items):
    sites.mark_folder(items, Path(__file__).parent, "browser")


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

    def mail(self, to: str) -> list[str]:
        """The plain-text body of every message the site emailed to `to`, oldest first."""
        folder = Path(self.env["VENUE_TEST_MAIL_DIR"])
        bodies = []
        for path in sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime):
            # Django's file backend: each message, then a line of 79 dashes.
            for raw in path.read_text().split("\n" + "-" * 79 + "\n"):
                message = email.message_from_string(raw.strip())
                if to not in (message["To"] or ""):
                    continue
                for part in message.walk():
                    if part.get_content_type() == "text/plain":
                        bodies.append(part.get_payload(decode=True).decode())
                        break
        return bodies

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

    def fresh_customer(self, prefix: str = "fan") -> str:
        """The email of a new verified customer in the served database, password
        DEMO_PASSWORD (`tests.support.demo.fresh_customer`): `login(page, email)` as them.
        Buy the demo concert as one, never as DEMO_EMAIL: it caps tickets at 4 a customer."""
        return self.shell(
            "from tests.support.demo import fresh_customer\n"
            f"print(fresh_customer({prefix!r}).email)"
        )


@pytest.fixture(scope="session")
def site():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    with contextlib.ExitStack() as cleanup:
        run_dir = sites.run_dir(cleanup, "venue-browser-")
        admin_url = os.environ.get("DATABASE_URL", "")
        if sites.is_postgres(admin_url):
            database_url = sites.scratch_database(cleanup, admin_url, "venue_browser_")
        else:
            database_url = f"sqlite:///{run_dir / 'db.sqlite3'}"
        # One process: the in-memory channel layer and eager Celery are enough (no Redis).
        env = sites.backend_env(
            database_url, run_dir / "static", settings="tests.browser.settings", behind_proxy=False
        )
        env["VENUE_TEST_MAIL_DIR"] = str(run_dir / "mail")
        sites.prepare(env, static=True)
        # Keep the server's log as an artifact (registered first: runs after the stop).
        log = run_dir / "asgi-browser.log"
        SCREENSHOTS.parent.mkdir(parents=True, exist_ok=True)

        def keep_log():
            if log.exists():
                shutil.copy(log, SCREENSHOTS.parent / "browser-server.log")

        cleanup.callback(keep_log)
        (server,) = sites.start_backends(cleanup, run_dir, [("asgi-browser", "asgi", env)])
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
            lambda msg: (
                msg.type == "error"
                and self.errors.append(f"console: {msg.text} ({msg.location.get('url', '?')})")
            ),
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


def page_weight(page) -> int:
    """The bytes the page loaded (decoded), images left out: document, scripts, styles, fonts."""
    return page.evaluate(
        """() => {
            const nav = performance.getEntriesByType('navigation')[0];
            let total = nav.decodedBodySize;
            for (const r of performance.getEntriesByType('resource')) {
                if (r.initiatorType !== 'img') total += r.decodedBodySize;
            }
            return total;
        }"""
    )


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
