"""Booking benchmark: many concurrent buyers over HTTP against real server processes.

    make bench            # or: .venv/bin/python bench/booking.py --help

Needs PostgreSQL (DATABASE_URL, any database on the server: a scratch database
`venue_bench_<pid>` is created and dropped) and Redis (REDIS_URL). Starts
gunicorn with several worker processes on loopback, creates buyers and
showtimes, then drives hold + confirm for distinct seats (one showtime, then
many) and prints rates and latency percentiles. Last, it does the same booking
writes straight in PostgreSQL from a minimal script (no HTTP, no Django) as the
ceiling, and prints the ratio. It checks that no seat was sold twice.
"""

import argparse
import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def admin_connection(url: str) -> psycopg.Connection:
    return psycopg.connect(
        with_database(url, "postgres").replace("postgres://", "postgresql://", 1), autocommit=True
    )


def general_showtime(title: str, capacity: int):
    """A published concert with one general-admission showtime tomorrow, made through the
    services (call inside a configured Django); returns (organizer, slot)."""
    from apps.accounts.models import Role, User
    from apps.catalog import services as catalog
    from apps.catalog.models import EventStatus, EventType
    from apps.scheduling.services import slot_create

    organizer = User.objects.create_user(
        f"org-{uuid.uuid4().hex[:6]}@bench.test", None, role=Role.ORGANIZER
    )
    event = catalog.event_create(
        organizer=organizer, type=EventType.CONCERT, title=title,
        city="Porto", status=EventStatus.PUBLISHED,
    )  # fmt: skip
    venue = catalog.venue_create(organizer=organizer, name="Bench arena", city="Porto")
    screen = catalog.screen_create(venue=venue, name="Floor")
    starts = datetime.now(UTC) + timedelta(days=1)
    slot = slot_create(
        event=event, screen=screen, seating="general", capacity=capacity,
        starts_at=starts, ends_at=starts + timedelta(hours=3), prices={"general": "20.00"},
    )  # fmt: skip
    return organizer, slot


def sell_general(slot, sizes: list[int]) -> None:
    """One new customer per size, each holding and paying that many places of `slot` as
    the API does (booking services, test provider); raises if a booking fails."""
    from apps.accounts.models import User
    from apps.bookings import services as bookings

    tag = uuid.uuid4().hex[:6]
    User.objects.bulk_create(
        [
            User(email=f"fan{i}-{tag}@bench.test", full_name=f"Fan {i}", password="!")
            for i in range(len(sizes))
        ]
    )
    fans = User.objects.filter(email__endswith=f"-{tag}@bench.test").order_by("id")
    for fan, size in zip(fans, sizes, strict=True):
        hold = bookings.hold_create(user=fan, slot_id=slot.pk, quantity=size)
        body = {"hold": hold.pk, "payment": {"method": "test", "token": "ok"}}
        outcome = bookings.booking_confirm(
            user=fan, hold_id=hold.pk, method="test", token="ok",
            key=f"bench-{hold.pk}", fingerprint=bookings.request_fingerprint(body),
        )  # fmt: skip
        if outcome.status != 201:
            raise RuntimeError(f"booking failed: {outcome.status} {outcome.body}")


class Bench:
    def __init__(self, args):
        self.args = args
        self.base_url = os.environ.get(
            "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"
        )
        if not self.base_url.startswith(("postgres://", "postgresql://")):
            sys.exit("bench/booking.py needs DATABASE_URL to point at PostgreSQL")
        self.db_name = f"venue_bench_{os.getpid()}"
        self.db_url = with_database(self.base_url, self.db_name)
        self.redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/12"
        self.port = free_port()
        self.server = None
        self.env = {
            **os.environ,
            "DATABASE_URL": self.db_url,
            "REDIS_URL": self.redis_url,
            "DJANGO_DEBUG": "0",
            "DJANGO_SETTINGS_MODULE": "venue.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "SECURE_SSL_REDIRECT": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "VENUE_RATE_LIMITS": "off",
            "VENUE_AUTH_COOKIE_SECURE": "0",
            "LOG_LEVEL": "WARNING",
        }

    # --- setup and teardown

    def create_database(self):
        with admin_connection(self.base_url) as conn:
            conn.execute(f'CREATE DATABASE "{self.db_name}"')
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env=self.env,
            check=True,
            timeout=300,
        )
        os.environ.update({k: v for k, v in self.env.items() if k != "PATH"})
        import django

        django.setup()

    def drop_database(self):
        from django.db import connections

        connections.close_all()
        with admin_connection(self.base_url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')

    def start_server(self):
        cmd = [
            str(Path(sys.executable).parent / "gunicorn"),
            "venue.wsgi:application",
            "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(self.args.processes),
            "--worker-class", "gthread",
            "--threads", str(self.args.threads),
            "--log-level", "warning",
            # Longer than the client's idle gaps, so no kept-alive connection is cut mid-reuse.
            "--keep-alive", "75",
        ]  # fmt: skip
        self.server = subprocess.Popen(cmd, cwd=ROOT, env=self.env, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("the server did not come up")

    def stop_server(self):
        if self.server and self.server.poll() is None:
            os.killpg(self.server.pid, signal.SIGTERM)
            try:
                self.server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, signal.SIGKILL)

    def server_pids(self) -> list[int]:
        """The gunicorn master and its workers."""
        if self.server is None:  # a bench that runs no server (bench/cancel.py)
            return []
        children = subprocess.run(
            ["pgrep", "-P", str(self.server.pid)], capture_output=True, text=True
        ).stdout.split()
        return [self.server.pid, *(int(pid) for pid in children)]

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time (user + system) used so far by the server, by PostgreSQL (its
        processes on this machine; 0 if it runs elsewhere) and by this load generator."""
        tick = os.sysconf("SC_CLK_TCK")

        def used(pid: int | str) -> tuple[str, float]:
            stat = Path(f"/proc/{pid}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            return stat[stat.index("(") + 1 : stat.rindex(")")], (
                int(fields[11]) + int(fields[12])
            ) / tick

        totals = {"gunicorn": 0.0, "PostgreSQL": 0.0, "load generator": time.process_time()}
        for pid in self.server_pids():
            try:
                totals["gunicorn"] += used(pid)[1]
            except OSError:
                continue
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                name, seconds = used(entry.name)
            except (OSError, ValueError):
                continue
            if name.startswith("postgres"):
                totals["PostgreSQL"] += seconds
        return totals

    def server_memory_mb(self) -> list[float]:
        """Resident memory of the gunicorn master and each worker, in MB."""
        sizes = []
        for pid in self.server_pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        sizes.append(int(line.split()[1]) / 1024)
            except OSError:
                continue
        return sizes

    def make_showtimes(self, count: int, rows: int, per_row: int):
        from apps.accounts.models import Role, User
        from apps.catalog import services as catalog
        from apps.catalog.models import EventStatus, EventType
        from apps.scheduling.services import slot_create

        organizer = User.objects.create_user(
            f"org-{uuid.uuid4().hex[:6]}@bench.test", None, role=Role.ORGANIZER
        )
        event = catalog.event_create(
            organizer=organizer, type=EventType.CONCERT, title="Bench night", city="Porto",
            status=EventStatus.PUBLISHED,
        )  # fmt: skip
        venue = catalog.venue_create(organizer=organizer, name="Bench hall", city="Porto")
        slots = []
        row_names = [
            chr(ord("A") + i % 26) + (str(i // 26) if i >= 26 else "") for i in range(rows)
        ]
        for i in range(count):
            screen = catalog.screen_create(venue=venue, name=f"Hall {uuid.uuid4().hex[:6]}")
            screen = catalog.screen_layout_replace(
                screen=screen,
                rows=[
                    {
                        "name": name,
                        "seats": [
                            {"number": n, "category": "standard"} for n in range(1, per_row + 1)
                        ],
                    }
                    for name in row_names
                ],
            )
            slots.append(
                slot_create(
                    event=event, screen=screen, seating="reserved",
                    starts_at=datetime.now(UTC) + timedelta(days=1 + i),
                    ends_at=datetime.now(UTC) + timedelta(days=1 + i, hours=2),
                    prices={"standard": "12.00"},
                )
            )  # fmt: skip
        return slots

    def make_buyers(self, count: int) -> list[str]:
        from rest_framework_simplejwt.tokens import AccessToken

        from apps.accounts.models import User

        tag = uuid.uuid4().hex[:6]
        User.objects.bulk_create(
            [
                User(email=f"b{i}-{tag}@bench.test", full_name=f"Buyer {i}", password="!")
                for i in range(count)
            ]
        )
        users = User.objects.filter(email__endswith=f"-{tag}@bench.test").order_by("id")
        return [str(AccessToken.for_user(user)) for user in users]

    # --- the HTTP run

    async def run_buyers(self, plan: list[tuple[str, int, list[int]]]) -> dict:
        """plan: (token, slot id, seat ids) per buyer. Hold then confirm, `concurrency` at once."""
        hold_ms, confirm_ms, statuses = [], [], {}
        limit = asyncio.Semaphore(self.args.concurrency)
        limits = httpx.Limits(
            max_connections=self.args.concurrency, max_keepalive_connections=self.args.concurrency
        )
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{self.port}", timeout=30, limits=limits
        ) as client:

            async def buyer(token, slot_id, seats):
                headers = {"Authorization": f"Bearer {token}"}
                async with limit:
                    started = time.perf_counter()
                    held = await client.post(
                        "/api/v1/bookings/hold-seats/",
                        json={"slot": slot_id, "seats": seats},
                        headers=headers,
                    )
                    hold_ms.append((time.perf_counter() - started) * 1000)
                    statuses[f"hold {held.status_code}"] = (
                        statuses.get(f"hold {held.status_code}", 0) + 1
                    )
                    if held.status_code != 201:
                        return
                    started = time.perf_counter()
                    booked = await client.post(
                        "/api/v1/bookings/confirm/",
                        json={
                            "hold": held.json()["id"],
                            "payment": {"method": "test", "token": "ok"},
                        },
                        headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
                    )
                    confirm_ms.append((time.perf_counter() - started) * 1000)
                    key = f"confirm {booked.status_code}"
                    statuses[key] = statuses.get(key, 0) + 1

            started = time.perf_counter()
            await asyncio.gather(*(buyer(*item) for item in plan))
            elapsed = time.perf_counter() - started
        return {
            "elapsed": elapsed,
            "confirmed": statuses.get("confirm 201", 0),
            "hold_ms": hold_ms,
            "confirm_ms": confirm_ms,
            "statuses": statuses,
        }

    # --- the ceiling: the same writes straight in PostgreSQL

    def direct_ceiling(
        self, slot_id: int, seat_plan: list[list[int]], user_ids: list[int]
    ) -> float:
        dsn = self.db_url.replace("postgres://", "postgresql://", 1)
        done = []

        def one(args):
            user_id, seats = args
            with psycopg.connect(dsn, autocommit=False) as conn:
                with conn.transaction():
                    hold_id = conn.execute(
                        "INSERT INTO bookings_hold (user_id, slot_id, quantity, total, kind, expires_at, created_at,"
                        " seat_prices, ticket_types, discount, breakdown, presale)"
                        " VALUES (%s, %s, %s, %s, 'purchase', now() + interval '5 minutes', now(),"
                        " '{}', '{}', 0, '{}', false) RETURNING id",
                        (user_id, slot_id, len(seats), 12 * len(seats)),
                    ).fetchone()[0]
                    conn.cursor().executemany(
                        "INSERT INTO bookings_seatclaim (slot_id, seat_id, hold_id, expires_at)"
                        " VALUES (%s, %s, %s, now() + interval '5 minutes')",
                        [(slot_id, seat, hold_id) for seat in sorted(seats)],
                    )
                with conn.transaction():
                    conn.execute(
                        "SELECT id FROM bookings_hold WHERE id = %s FOR UPDATE", (hold_id,)
                    )
                    booking_id = conn.execute(
                        "INSERT INTO bookings_booking (reference, user_id, slot_id, status, quantity, total, created_at,"
                        " discount, breakdown)"
                        " VALUES (%s, %s, %s, 'confirmed', %s, %s, now(), 0, '{}') RETURNING id",
                        (secrets.token_hex(6), user_id, slot_id, len(seats), 12 * len(seats)),
                    ).fetchone()[0]
                    conn.execute(
                        "UPDATE bookings_seatclaim SET booking_id = %s, hold_id = NULL, expires_at = NULL WHERE hold_id = %s",
                        (booking_id, hold_id),
                    )
                    conn.cursor().executemany(
                        "INSERT INTO bookings_ticket (booking_id, seat_id, number, code, status,"
                        " price, ticket_type, ticket_type_name)"
                        " VALUES (%s, %s, %s, %s, 'valid', 12, 'standard', 'Standard')",
                        [
                            (booking_id, seat, n, secrets.token_hex(16))
                            for n, seat in enumerate(seats, 1)
                        ],
                    )
                    conn.execute("DELETE FROM bookings_hold WHERE id = %s", (hold_id,))
            done.append(1)

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=self.args.concurrency) as pool:
            list(pool.map(one, zip(user_ids, seat_plan, strict=False)))
        return len(done) / (time.perf_counter() - started)

    def seats_sold_twice(self) -> int:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM (SELECT b.slot_id, t.seat_id FROM bookings_ticket t"
                " JOIN bookings_booking b ON b.id = t.booking_id"
                " WHERE b.status = 'confirmed' AND t.seat_id IS NOT NULL"
                " GROUP BY b.slot_id, t.seat_id HAVING count(*) > 1) AS doubles"
            )
            return cursor.fetchone()[0]

    # --- report

    def report(self, name: str, result: dict) -> None:
        rate = result["confirmed"] / result["elapsed"]
        print(f"\n{name}")
        print(
            f"  confirmed bookings: {result['confirmed']} in {result['elapsed']:.1f} s = {rate:.0f} bookings/s"
        )
        for label, values in (("hold", result["hold_ms"]), ("confirm", result["confirm_ms"])):
            print(
                f"  {label:<8} latency ms  p50 {percentile(values, 50):6.1f}  p95 {percentile(values, 95):6.1f}"
                f"  p99 {percentile(values, 99):6.1f}"
            )
        print(f"  responses: {dict(sorted(result['statuses'].items()))}")
        return rate

    def run(self):
        args = self.args
        print(
            f"VENUE booking bench: {args.processes} gunicorn processes x {args.threads} threads, "
            f"{args.buyers} buyers, {args.concurrency} at once, 2 seats each"
        )
        self.create_database()
        try:
            per_slot = args.rows * args.per_row
            one = self.make_showtimes(1, args.rows, args.per_row)[0]
            many = self.make_showtimes(args.slots, args.rows, args.per_row)
            ceiling_slot = self.make_showtimes(1, args.rows, args.per_row)[0]
            tokens = self.make_buyers(args.buyers * 2)
            try:
                self.start_server()
                seat_one = list(one.screen.seats.order_by("id").values_list("id", flat=True))
                buyers_one = min(args.buyers, per_slot // 2)
                plan_one = [
                    (tokens[i], one.pk, seat_one[2 * i : 2 * i + 2]) for i in range(buyers_one)
                ]
                cpu_before = self.cpu_seconds()
                result_one = asyncio.run(self.run_buyers(plan_one))
                cpu_after = self.cpu_seconds()
                rate_one = self.report("one showtime", result_one)
                if result_one["confirmed"]:
                    shares = ", ".join(
                        f"{name} {(cpu_after[name] - before) / result_one['confirmed'] * 1000:.1f}"
                        for name, before in cpu_before.items()
                    )
                    print(f"  CPU ms per confirmed booking: {shares}")

                plan_many = []
                seats_many = {
                    s.pk: list(s.screen.seats.order_by("id").values_list("id", flat=True))
                    for s in many
                }
                for i in range(args.buyers):
                    slot = many[i % len(many)]
                    k = i // len(many)
                    plan_many.append(
                        (tokens[args.buyers + i], slot.pk, seats_many[slot.pk][2 * k : 2 * k + 2])
                    )
                self.report(f"{len(many)} showtimes", asyncio.run(self.run_buyers(plan_many)))
                memory = self.server_memory_mb()
            finally:
                self.stop_server()
            from apps.accounts.models import User

            user_ids = list(User.objects.order_by("id").values_list("id", flat=True)[:buyers_one])
            seat_ceiling = list(
                ceiling_slot.screen.seats.order_by("id").values_list("id", flat=True)
            )
            plan = [seat_ceiling[2 * i : 2 * i + 2] for i in range(buyers_one)]
            ceiling = self.direct_ceiling(ceiling_slot.pk, plan, user_ids)
            doubles = self.seats_sold_twice()
        finally:
            self.drop_database()
        print("\nceiling: the same writes straight in PostgreSQL (psycopg, no HTTP, no Django)")
        print(
            f"  {ceiling:.0f} bookings/s; VENUE over HTTP reaches {rate_one / ceiling:.0%} of it on one showtime"
        )
        print(f"\nmemory per server process (MB): {', '.join(f'{m:.0f}' for m in memory)}")
        print(f"seats sold twice: {doubles}")
        return 1 if doubles else 0


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--processes", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker")
    parser.add_argument("--buyers", type=int, default=400, help="buyers per scenario")
    parser.add_argument("--concurrency", type=int, default=32, help="buyers in flight at once")
    parser.add_argument("--slots", type=int, default=8, help="showtimes in the many-showtimes run")
    parser.add_argument("--rows", type=int, default=20)
    parser.add_argument("--per-row", type=int, default=40)
    sys.exit(Bench(parser.parse_args()).run())


if __name__ == "__main__":
    main()
