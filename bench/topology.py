"""Benchmark of the production shape: nginx, 2 gunicorn + 2 uvicorn, PostgreSQL, Redis.

    make bench                                    # bench/booking.py, then this
    .venv/bin/python bench/topology.py --help

Starts the load-balancer topology of `tests/lb/rig.py` (scratch database
`venue_load_<hex>`, `seed_demo`, production settings plus the bare endpoint of
`bench/bare_settings.py`), then measures, all in one run so the figures compare:

1. the booking race through nginx: buyers hold then confirm distinct seats of
   one showtime; confirmed bookings/s, p99 hold and confirm latency;
2. oversold seats (a seat in two confirmed bookings): must be 0;
3. the cached public event list through nginx against the bare Django + DRF
   endpoint `GET /api/v1/bench/bare/` (same middleware, no work), in requests/s;
4. resident memory of every server process;
5. WSGI against ASGI: the same cached event list served straight by the two
   gunicorn backends (one gthread worker each) and by the two uvicorn backends
   (one process each), same process count, same client; and those gunicorns
   through nginx, which shows what the edge costs.

The GET measurements alternate (A, B, A, B) so that a neighbour's burst on this
shared machine hits both sides. Rates depend on the machine and its load: read
the ratios. Needs nginx, PostgreSQL (DATABASE_URL) and Redis (REDIS_URL).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import booking  # noqa: E402
from tests.lb import rig  # noqa: E402

EVENT_LIST = "/api/v1/events/"
BARE = "/api/v1/bench/bare/"


# --- a small keep-alive HTTP/1.1 GET client: cheap enough not to be the bottleneck


@dataclass
class GetRun:
    requests: int = 0
    elapsed: float = 0.0
    statuses: Counter = field(default_factory=Counter)
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.requests / self.elapsed if self.elapsed else 0.0

    def add(self, other: GetRun) -> None:
        self.requests += other.requests
        self.elapsed += other.elapsed
        self.statuses.update(other.statuses)
        self.latencies_ms += other.latencies_ms


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; return (status, whether the server keeps the connection)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip().lower()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status, headers.get("connection") != "close"


async def _get_loop(port: int, path: str, deadline: float, run: GetRun) -> None:
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n"
    ).encode()
    writer = None
    try:
        while time.perf_counter() < deadline:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            started = time.perf_counter()
            writer.write(request)
            status, keep = await _read_response(reader)
            run.latencies_ms.append((time.perf_counter() - started) * 1000)
            run.requests += 1
            run.statuses[status] += 1
            if not keep:
                writer.close()
                writer = None
    finally:
        if writer is not None:
            writer.close()


def get_rate(ports: list[int], path: str, seconds: float, connections: int) -> GetRun:
    """GET `path` for `seconds` over `connections` kept-alive connections spread over `ports`."""

    async def main() -> GetRun:
        run = GetRun()
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.wait_for(
            asyncio.gather(
                *(_get_loop(ports[i % len(ports)], path, deadline, run) for i in range(connections))
            ),
            timeout=seconds + 30,
        )
        run.elapsed = time.perf_counter() - started
        return run

    return asyncio.run(main())


def compare(sides: list[tuple[str, list[int], str]], args) -> list[GetRun]:
    """Measure each (label, ports, path) in turn, `args.rounds` times over; return the sums."""
    totals = [GetRun() for _ in sides]
    for _, ports, path in sides:  # warm up: fill the cache, start the threads
        get_rate(ports, path, 1, 4)
    for _ in range(args.rounds):
        for total, (_, ports, path) in zip(totals, sides, strict=True):
            total.add(get_rate(ports, path, args.seconds, args.connections))
    for (label, _, _), run in zip(sides, totals, strict=True):
        print(
            f"  {label:<40} {run.rate:7.0f} req/s  p99 {booking.percentile(run.latencies_ms, 99):6.1f} ms"
            f"  statuses {dict(sorted(run.statuses.items()))}"
        )
    return totals


# --- memory


def process_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def backend_memory(backend: rig.Backend) -> list[tuple[str, float]]:
    """(role, MB) of a backend's process and its children (gunicorn workers)."""
    found = []
    rss = process_rss_mb(backend.pid)
    if rss is not None:
        found.append(("master" if backend.kind == "wsgi" else "process", rss))
    children = subprocess.run(
        ["pgrep", "-P", str(backend.pid)], capture_output=True, text=True, timeout=10
    ).stdout.split()
    for child in children:
        rss = process_rss_mb(int(child))
        if rss is not None:
            found.append(("worker", rss))
    return found


# --- the run


def run(args) -> int:
    admin_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/8"
    if not admin_url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/topology.py needs DATABASE_URL to point at PostgreSQL")
    if not rig.nginx_binary():
        sys.exit("bench/topology.py needs nginx (apt-get install nginx-light)")
    print(
        f"VENUE topology bench: nginx -> 2 gunicorn (2 gthread workers x 4 threads) + 2 uvicorn;"
        f" {args.buyers} buyers, {args.concurrency} at once; GETs: {args.connections}"
        f" connections, {args.rounds} x {args.seconds:g} s per side"
    )
    with contextlib.ExitStack() as cleanup:
        started = rig.start_topology(
            cleanup,
            admin_url=admin_url,
            redis_url=redis_url,
            db_prefix="venue_load_",
            env_overrides={
                "DJANGO_SETTINGS_MODULE": "bench.bare_settings",
                **(
                    {"VENUE_PUBLIC_CACHE_LOCAL_SECONDS": str(args.public_cache_local_seconds)}
                    if args.public_cache_local_seconds is not None
                    else {}
                ),
            },
        )
        # This process writes the benchmark data through the ORM, on the same database.
        os.environ.update({k: v for k, v in started.env.items() if k != "PATH"})
        import django

        django.setup()
        from django.db import connections

        cleanup.callback(connections.close_all)  # before the database is dropped

        bench = booking.Bench(argparse.Namespace(concurrency=args.concurrency))
        bench.port = started.port  # run_buyers drives http://127.0.0.1:<port>: nginx
        slot = bench.make_showtimes(1, args.rows, args.per_row)[0]
        seats = list(slot.screen.seats.order_by("id").values_list("id", flat=True))
        buyers = min(args.buyers, len(seats) // 2)
        tokens = bench.make_buyers(buyers)
        plan = [(tokens[i], slot.pk, seats[2 * i : 2 * i + 2]) for i in range(buyers)]
        result = asyncio.run(bench.run_buyers(plan))
        booking_rate = bench.report("1. booking race through nginx, one showtime", result)
        oversold = bench.seats_sold_twice()
        print(f"\n2. oversold seats (a seat in two confirmed bookings): {oversold}")

        print("\n3. GET through nginx: cached event list against the bare DRF endpoint")
        nginx_port = [started.port]
        cached, bare = compare(
            [(f"cached {EVENT_LIST}", nginx_port, EVENT_LIST), (f"bare {BARE}", nginx_port, BARE)],
            args,
        )
        print(f"  cached event list = {cached.rate / bare.rate:.0%} of the bare endpoint rate")

        print("\n4. memory per server process (MB, resident)")
        for backend in [*started.wsgi, *started.asgi]:
            sizes = ", ".join(f"{role} {mb:.0f}" for role, mb in backend_memory(backend))
            print(
                f"  {backend.name} ({'gunicorn' if backend.kind == 'wsgi' else 'uvicorn'}): {sizes}"
            )

        print(
            "\n5. WSGI against ASGI, cached event list: 2 gunicorn (1 gthread worker"
            " x 4 threads each) against 2 uvicorn processes"
        )
        for backend in started.wsgi:
            backend.env = {**backend.env, "WEB_CONCURRENCY": "1"}
            backend.restart()
        wsgi_ports = [b.port for b in started.wsgi]
        asgi_ports = [b.port for b in started.asgi]
        wsgi, asgi, edge = compare(
            [
                ("gunicorn (venue.wsgi), direct", wsgi_ports, EVENT_LIST),
                ("uvicorn (venue.asgi), direct", asgi_ports, EVENT_LIST),
                ("the same gunicorn through nginx", nginx_port, EVENT_LIST),
            ],
            args,
        )
        print(f"  gunicorn / uvicorn = {wsgi.rate / asgi.rate:.2f}")
        print(
            f"  through nginx = {edge.rate / wsgi.rate:.0%} of direct gunicorn"
            " (kept-alive upstream connections)"
        )

        errors = sum(n for s, n in [*cached.statuses.items(), *bare.statuses.items()] if s >= 500)
        for other in (wsgi, asgi, edge):
            errors += sum(n for status, n in other.statuses.items() if status >= 500)
        print(
            f"\nsummary: {booking_rate:.0f} confirmed bookings/s on one showtime through nginx"
            f" (p99 hold {booking.percentile(result['hold_ms'], 99):.0f} ms, confirm"
            f" {booking.percentile(result['confirm_ms'], 99):.0f} ms); oversold {oversold};"
            f" cached list {cached.rate / bare.rate:.0%} of bare; gunicorn/uvicorn"
            f" {wsgi.rate / asgi.rate:.2f}; 5xx {errors}"
        )
    return 1 if oversold or errors else 0


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--buyers", type=int, default=300, help="buyers in the booking race")
    parser.add_argument("--concurrency", type=int, default=32, help="buyers in flight at once")
    parser.add_argument("--rows", type=int, default=20)
    parser.add_argument("--per-row", type=int, default=40)
    parser.add_argument("--connections", type=int, default=16, help="GET connections")
    parser.add_argument("--seconds", type=float, default=4.0, help="length of one GET round")
    parser.add_argument("--rounds", type=int, default=2, help="GET rounds per side")
    parser.add_argument(
        "--public-cache-local-seconds",
        type=float,
        help="VENUE_PUBLIC_CACHE_LOCAL_SECONDS for the servers (default: the settings' 1 s; "
        "0 = every cached read asks Redis)",
    )
    sys.exit(run(parser.parse_args()))


if __name__ == "__main__":
    main()
