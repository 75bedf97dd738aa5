"""What the fault suite's fixtures hand to the tests: the servers, a stack, the report."""

from __future__ import annotations

import contextlib
import json
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from tests.support import servers
from tests.support.servers import ROOT

from .buyers import Client, Tally, Tokens

ARTIFACTS = ROOT / "artifacts" / "faults"
HOLD_SECONDS = 20  # VENUE_HOLD_SECONDS of every server: holds expire within a test


# --- the report


def _s(value) -> str:
    return "never" if value is None else f"{value}s"


class FaultReport:
    """Figures per test, printed at the end of the session and written as JSON."""

    def __init__(self):
        self.lock = threading.Lock()
        self.entries: dict[str, dict] = {}

    def record(self, name: str, figures: dict) -> None:
        with self.lock:
            self.entries[name] = figures

    def lines(self) -> list[str]:
        out = []
        for name, f in self.entries.items():
            if "summary" in f:  # a test that is not a sale under fault says it its own way
                out.append(f"{name}: {f['summary']}")
                continue
            api = ", ".join(f"{k}: {v}" for k, v in sorted(f.get("api_answers_5xx", {}).items()))
            ready = f.get("by_endpoint", {}).get("readyz 503", 0)
            line = (
                f"{name}: booked {f.get('bookings_confirmed', '?')} by {f.get('buyers', '?')} "
                f"buyers; API 5xx {{{api or 'none'}}}, /readyz 503 x{ready}, connection errors "
                f"{f.get('connection_errors', 0)}"
            )
            if "normal_again_s" in f:
                line += (
                    f"; normal again {_s(f['normal_again_s'])}, clients final "
                    f"{_s(f.get('clients_final_s'))}, charges settled "
                    f"{_s(f.get('charges_settled_s'))}"
                )
            if "bookings_per_second" in f:
                line += f"; {f['bookings_per_second']} bookings/s in {f.get('wall_seconds')}s"
            out.append(f"{line}; {f.get('verdict', '?')}")
            for problem in f.get("problems", [])[:6]:
                out.append(f"    ! {problem[:300]}")
        return out


REPORT = FaultReport()


# --- the servers


@dataclass
class Services:
    """The session's PostgreSQL and Redis, the migrated and seeded database, the accounts."""

    run_dir: Path
    postgres: servers.PostgresServer
    redis: servers.RedisServer
    database_url: str
    env: dict[str, str]
    slots: list[tuple[int, list[int]]] = field(default_factory=list)
    buyers: list[str] = field(default_factory=list)
    probes: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take_slots(self, count: int) -> list[tuple[int, list[int]]]:
        """Showtimes no other test sells, with their seat ids."""
        with self._lock:
            if len(self.slots) < count:
                pytest.fail(f"only {len(self.slots)} unused reserved showtimes left")
            taken, self.slots = self.slots[:count], self.slots[count:]
        return taken

    def ensure_up(self) -> None:
        """Repair what an earlier test may have left broken."""
        if not self.postgres.running:
            self.postgres.start()
        self.postgres.wait_ready()
        if not self.redis.running:
            self.redis.start()
        self.redis.wait_ready()


@dataclass
class Stack:
    """What a test talks to: base URLs, the processes behind them, tokens."""

    services: Services
    base_urls: list[str]
    tokens: Tokens
    processes: dict[str, servers.Process]

    @property
    def database_url(self) -> str:
        return self.services.database_url

    def client(self, email: str, tally: Tally, index: int = 0) -> Client:
        return Client(self.base_urls[index % len(self.base_urls)], email, self.tokens, tally)

    def scenario_logs(self, name: str) -> ScenarioLogs:
        """Mark where every log is now: what follows belongs to scenario `name`."""
        services = {"postgres": self.services.postgres, "redis": self.services.redis}
        logs = {label: p.log for label, p in {**self.processes, **services}.items()}
        return ScenarioLogs(name, logs, quote=list(self.processes))


ACCOUNTS_SCRIPT = """
from django.contrib.auth.hashers import make_password
from apps.accounts.models import User
hashed = make_password({password!r})
User.objects.bulk_create(
    [User(email=e, password=hashed, full_name="Fault buyer", role="customer") for e in {emails!r}],
    ignore_conflicts=True,
)
"""


def reserved_slots(database_url: str) -> list[tuple[int, list[int]]]:
    """Upcoming reserved showtimes on sale, with the seat ids of their screens."""
    with psycopg.connect(database_url, connect_timeout=10) as conn:
        rows = conn.execute(
            "SELECT s.id, array_agg(seat.id ORDER BY seat.id) FROM scheduling_slot s"
            " JOIN catalog_event e ON e.id = s.event_id"
            " JOIN catalog_seat seat ON seat.screen_id = s.screen_id"
            " WHERE s.seating = 'reserved' AND s.status = 'scheduled' AND e.status = 'published'"
            " AND s.starts_at > now() + interval '3 hours'"
            " AND (s.sales_open_at IS NULL OR s.sales_open_at <= now())"
            " GROUP BY s.id ORDER BY s.starts_at, s.id"
        ).fetchall()
    return [(slot_id, list(seats)) for slot_id, seats in rows]


# --- the logs

LOGS = ARTIFACTS / "logs"
QUOTED_LINES = 20  # of each server's log, when a check fails
LINE_CHARS = 400


def reset_logs() -> None:
    """Start the session with no scenario folders of an earlier run."""
    shutil.rmtree(LOGS, ignore_errors=True)
    LOGS.mkdir(parents=True, exist_ok=True)


def save_logs(run_dir: Path) -> None:
    """Keep the servers' whole logs in artifacts/faults/logs/session/ (the run folder goes)."""
    target = LOGS / "session"
    with contextlib.suppress(OSError):
        target.mkdir(parents=True, exist_ok=True)
        for log in run_dir.glob("*.log"):
            shutil.copy(log, target / log.name)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _readable(line: str, *, trace: bool = True) -> str:
    """A JSON log line (LOG_FORMAT=json) as its message, with the end of its traceback."""
    try:
        entry = json.loads(line)
    except ValueError:
        return line[:LINE_CHARS]
    if not isinstance(entry, dict):
        return line[:LINE_CHARS]
    head = " ".join(
        str(entry.get(k, "")) for k in ("timestamp", "level", "logger", "request_id", "message")
    )
    exc_info = str(entry.get("exc_info") or "")
    if exc_info and trace:
        head += "\n      " + "\n      ".join(exc_info.splitlines()[-12:])
    elif exc_info:
        head += f" [{exc_info.splitlines()[-1][:200]}]"
    return head[:LINE_CHARS] if not trace else head


class ScenarioLogs:
    """What each process logged during one scenario: kept in artifacts/faults/logs/<name>/
    and quoted (the lines of the 5xx answers' request ids, the servers' last lines) when
    a check fails."""

    def __init__(self, name: str, logs: dict[str, Path], *, quote: list[str]):
        self.name, self.logs, self.quote = name, logs, quote
        self.offsets = {label: _size(path) for label, path in logs.items()}
        self.folder = LOGS / name

    def text(self, label: str) -> str:
        try:
            with self.logs[label].open("rb") as log:
                log.seek(self.offsets[label])
                return log.read().decode(errors="replace")
        except OSError:
            return ""

    def save(self) -> Path:
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        for label in self.logs:
            (self.folder / f"{label}.log").write_text(self.text(label))
        return self.folder

    def evidence(self, samples: list[dict]) -> str:
        """The 5xx answers the clients got (body, request id), every log line of those
        request ids, and the last lines each server logged."""
        out = []
        answers = [s for s in samples if isinstance(s["status"], int) and s["status"] >= 500]
        for sample in answers:
            out.append(
                f"{sample['status']} to {sample['endpoint']}, request id "
                f"{sample.get('request_id')}: {sample['body']}"
            )
        texts = {label: self.text(label) for label in self.logs}
        for request_id in filter(None, {s.get("request_id") for s in answers}):
            for label, text in texts.items():
                for line in text.splitlines():
                    if request_id in line:
                        out.append(f"  {label}: {_readable(line)}")
        where = self.folder.relative_to(ROOT)
        for label in self.quote:
            lines = texts[label].splitlines()[-QUOTED_LINES:]
            out.append(f"--- {where}/{label}.log, last {len(lines)} lines")
            out += [f"  {_readable(line, trace=False)}" for line in lines]
        return "\n".join(out)
