"""Run the locust scenarios headless against the nginx topology and summarise them.

    make loadtest                                   # 20 s per scenario
    .venv/bin/python loadtests/run.py --seconds 30 --scenarios browse,flash

Starts the topology of `tests/lb/rig.py` (scratch database `venue_load_<hex>`,
`seed_demo`, 2 gunicorn + 2 uvicorn with the production settings, nginx), adds
buyers and showtimes, then runs each scenario of `loadtests/locustfile.py` with
locust for a bounded time: `browse`, `race` (booking race on one showtime) and
`flash` (flash sale) with the rate limits off, then `ratelimit` after the WSGI
backends restart with `VENUE_RATE_LIMITS=on`. Locust writes CSV and HTML reports
to `artifacts/loadtest/`; this prints requests/s, failures, 5xx and p95 per
scenario, checks that no seat was sold twice, and exits non-zero when a
scenario broke its rule (any 5xx, any failure, no 429 in `ratelimit`).

Needs nginx, PostgreSQL (DATABASE_URL) and Redis (REDIS_URL).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import booking  # noqa: E402
from loadtests import report  # noqa: E402
from tests.lb import rig  # noqa: E402

LOCUSTFILE = ROOT / "loadtests" / "locustfile.py"
SCENARIOS = {
    # name: (locust user class, users, checks)
    "browse": ("BrowsingUser", 40, {}),
    "race": ("BookingRaceUser", 32, {}),
    "flash": ("FlashSaleUser", 60, {}),
    "ratelimit": ("RateLimitUser", 20, {"expect_429": True}),
}


def seats_sold_twice() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT b.slot_id, t.seat_id FROM bookings_ticket t"
            " JOIN bookings_booking b ON b.id = t.booking_id"
            " WHERE b.status = 'confirmed' AND t.seat_id IS NOT NULL"
            " GROUP BY b.slot_id, t.seat_id HAVING count(*) > 1) AS doubles"
        )
        return cursor.fetchone()[0]


def keep_logs(run_dir: Path, target: Path) -> None:
    """Copy the backends' and nginx's logs next to the reports."""
    target.mkdir(parents=True, exist_ok=True)
    for log in [*run_dir.glob("*.log"), run_dir / "nginx.out"]:
        if log.exists():
            shutil.copyfile(log, target / log.name)


def seat_ids(slot) -> list[int]:
    return list(slot.screen.seats.order_by("id").values_list("id", flat=True))


def make_plan(name: str, bench: booking.Bench, args) -> dict:
    """The data one scenario needs; tokens are made just before it runs (they live 5 minutes)."""
    from apps.catalog.models import Event, EventStatus
    from apps.scheduling.models import Slot

    if name == "browse":
        events = list(
            Event.objects.filter(status=EventStatus.PUBLISHED).values_list("id", flat=True)
        )
        slots = list(Slot.objects.filter(event_id__in=events).values_list("id", flat=True)[:50])
        return {"events": events, "slots": slots}
    # The limiter scenario shares 5 buyers among its users, so the per-user booking
    # tier (20/min) is crossed within seconds, as is the per-IP global tier (600/min).
    buyers = {"flash": args.users_flash, "ratelimit": 5}.get(name, SCENARIOS[name][1])
    if name == "race":
        slot = bench.make_showtimes(1, args.race_rows, 60)[0]
    elif name == "flash":
        slot = bench.make_showtimes(1, 1, args.flash_seats)[0]
    else:
        slot = bench.make_showtimes(1, 5, 20)[0]
    return {"slot": slot.pk, "seats": seat_ids(slot), "tokens": bench.make_buyers(buyers)}


def run_locust(name: str, base_url: str, out: Path, args, users: int) -> Path:
    user_class = SCENARIOS[name][0]
    prefix = out / name
    env = {
        **os.environ,
        "VENUE_LOADTEST_PLAN": str(out / f"{name}_plan.json"),
        "VENUE_LOADTEST_STATUS": str(out / f"{name}_status.json"),
    }
    argv = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), user_class,
        "--headless", "--only-summary", "--host", base_url,
        "--users", str(users), "--spawn-rate", str(users),
        "--run-time", f"{args.seconds}s", "--stop-timeout", "5",
        "--csv", str(prefix), "--html", str(out / f"{name}.html"),
        "--loglevel", "WARNING", "--exit-code-on-error", "0",
    ]  # fmt: skip
    with (out / f"{name}.log").open("w") as log:
        subprocess.run(
            argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            timeout=args.seconds + 90, check=True,
        )  # fmt: skip
    return prefix


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=20, help="run time of each scenario")
    parser.add_argument(
        "--scenarios", default=",".join(SCENARIOS), help=f"comma-separated, of {list(SCENARIOS)}"
    )
    parser.add_argument("--users-flash", type=int, default=60, help="buyers in the flash sale")
    parser.add_argument("--flash-seats", type=int, default=20, help="seats in the flash sale")
    parser.add_argument(
        "--race-rows", type=int, default=26, help="rows of 60 seats in the race (at most 26)"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "artifacts" / "loadtest")
    args = parser.parse_args()
    chosen = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = set(chosen) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios {sorted(unknown)}")
    if not 1 <= args.race_rows <= 26:  # row names A..Z: beyond, labels would repeat
        parser.error("--race-rows must be between 1 and 26")
    if not 1 <= args.seconds <= 600:
        parser.error("--seconds must be between 1 and 600")

    admin_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/8"
    if not admin_url.startswith(("postgres://", "postgresql://")):
        sys.exit("loadtests/run.py needs DATABASE_URL to point at PostgreSQL")
    if not rig.nginx_binary():
        sys.exit("loadtests/run.py needs nginx (apt-get install nginx-light)")
    args.out.mkdir(parents=True, exist_ok=True)

    scenarios = []
    with contextlib.ExitStack() as cleanup:
        started = rig.start_topology(
            cleanup, admin_url=admin_url, redis_url=redis_url, db_prefix="venue_load_"
        )
        print(f"topology up: nginx {started.base_url}, 2 gunicorn + 2 uvicorn")
        # Runs before the processes stop and the run directory goes: keep the server logs.
        cleanup.callback(keep_logs, started.run_dir, args.out / "logs")
        os.environ.update({k: v for k, v in started.env.items() if k != "PATH"})
        import django

        django.setup()
        from django.db import connections

        cleanup.callback(connections.close_all)  # before the database is dropped
        bench = booking.Bench(argparse.Namespace(concurrency=1))

        # The limiter scenario last: it needs the WSGI backends restarted with limits on.
        for name in sorted(chosen, key=lambda s: s == "ratelimit"):
            if name == "ratelimit":
                for backend in started.wsgi:
                    backend.env = {**backend.env, "VENUE_RATE_LIMITS": "on"}
                    backend.restart()
            plan = make_plan(name, bench, args)
            (args.out / f"{name}_plan.json").write_text(json.dumps(plan))
            users = args.users_flash if name == "flash" else SCENARIOS[name][1]
            print(f"{name}: {users} users for {args.seconds} s ...", flush=True)
            prefix = run_locust(name, started.base_url, args.out, args, users)
            scenarios.append(report.load_scenario(name, prefix, **SCENARIOS[name][2]))
        oversold = seats_sold_twice()

    print()
    print(report.format_summary(scenarios))
    print(f"seats sold twice: {oversold}")
    print(f"reports: {args.out}/<scenario>_stats.csv, <scenario>.html; server logs in logs/")
    failed = oversold or any(s.problems() for s in scenarios)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
