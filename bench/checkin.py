"""Door check-in benchmark: several gates scan every ticket of one showtime at once.

    make bench            # or: .venv/bin/python bench/checkin.py --help

Needs PostgreSQL (DATABASE_URL, any database on the server: a scratch database
`venue_bench_<pid>` is created and dropped) and Redis (REDIS_URL). Like
bench/booking.py it runs the migrations, starts gunicorn with production settings
(VENUE_RATE_LIMITS=off) on loopback, and drives it with httpx async clients.

One general-admission showtime gets --tickets tickets (bookings of 10 made in
process through the booking services, paid with the test provider) and a door
open now; --gates scanner accounts (team members, JWT bearer tokens) then scan,
each its own shuffled order of all the tickets, all gates at once, through
`POST /api/v1/checkin/scan/`. Every ticket is scanned --gates times, so exactly
--tickets admissions and the rest `already_checked_in` are expected. It prints
scans/s, latency percentiles, the answers, CPU per scan (gunicorn, PostgreSQL,
this load generator) and the admissions the database recorded; it exits non-zero
unless each ticket was admitted exactly once.
"""

import argparse
import asyncio
import random
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from booking import Bench, general_showtime, percentile, sell_general  # noqa: E402

SCAN_URL = "/api/v1/checkin/scan/"
PER_BOOKING = 10  # the most one hold may take (bookings.services.holds.MAX_SEATS_PER_HOLD)


class CheckinBench:
    def __init__(self, args):
        self.args = args
        self.base = Bench(args)

    # --- setup, in process, through the services

    def make_showtime(self):
        from apps.checkin import services as checkin

        organizer, slot = general_showtime("Door bench night", self.args.tickets)
        checkin.checkin_window_set(
            slot=slot, opens_at=datetime.now(UTC) - timedelta(hours=1), closes_at=None
        )
        return organizer, slot

    def sell_out(self, slot) -> list[str]:
        """Bookings of up to 10 tickets each, held and paid as the API does; the QR
        texts of all their tickets."""
        from apps.bookings.models import Ticket
        from apps.bookings.tickets import qr_text

        sell_general(
            slot,
            [
                min(PER_BOOKING, self.args.tickets - start)
                for start in range(0, self.args.tickets, PER_BOOKING)
            ],
        )
        tickets = Ticket.objects.filter(booking__slot=slot).order_by("id")
        return [qr_text(ticket) for ticket in tickets]

    def make_scanners(self, organizer) -> list[str]:
        """--gates team members with the scanner role, and a bearer token each."""
        from rest_framework_simplejwt.tokens import AccessToken

        from apps.accounts.models import TeamMember, TeamRole, User

        tag = uuid.uuid4().hex[:6]
        tokens = []
        for gate in range(self.args.gates):
            user = User.objects.create_user(f"gate{gate}-{tag}@bench.test", None)
            TeamMember.objects.create(organizer=organizer, user=user, role=TeamRole.SCANNER)
            token = AccessToken.for_user(user)
            token.set_exp(lifetime=timedelta(hours=1))  # outlives a slow run
            tokens.append(str(token))
        return tokens

    # --- the HTTP run

    async def run_gates(self, slot_id: int, codes: list[str], tokens: list[str]) -> dict:
        latencies: list[float] = []
        answers: Counter = Counter()
        lanes = self.args.lanes
        warm = [0]
        all_warm, go = asyncio.Event(), asyncio.Event()

        async def gate(number: int, token: str):
            order = codes[:]
            random.Random(f"gate-{number}").shuffle(order)  # noqa: S311 (an order, not a secret)
            queue = iter(order)  # shared by the gate's lanes: each ticket once per gate
            limits = httpx.Limits(max_connections=lanes, max_keepalive_connections=lanes)
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{self.base.port}", timeout=30, limits=limits,
                headers={"Authorization": f"Bearer {token}"},
            ) as client:  # fmt: skip
                # Warm the connections and the workers with reads, not scans.
                for _ in range(lanes):
                    (await client.get(f"/api/v1/slots/{slot_id}/checkin/")).raise_for_status()
                warm[0] += 1
                if warm[0] == len(tokens):
                    all_warm.set()
                await go.wait()

                async def lane():
                    for code in queue:
                        body = {"slot": slot_id, "code": code, "gate": f"gate-{number}"}
                        started = time.perf_counter()
                        response = await client.post(SCAN_URL, json=body)
                        latencies.append((time.perf_counter() - started) * 1000)
                        answers[answer(response)] += 1

                await asyncio.gather(*(lane() for _ in range(lanes)))

        gates = [asyncio.create_task(gate(n, token)) for n, token in enumerate(tokens)]
        # Every gate starts together, once all have warmed up; a gate failing to warm up
        # ends the run with its error.
        waiter = asyncio.create_task(all_warm.wait())
        done, _ = await asyncio.wait([waiter, *gates], return_when=asyncio.FIRST_COMPLETED)
        if waiter not in done:
            for task in [waiter, *gates]:
                task.cancel()
            next(iter(done)).result()
            raise RuntimeError("a gate ended before the start")
        started = time.perf_counter()
        go.set()
        await asyncio.gather(*gates)
        return {
            "elapsed": time.perf_counter() - started,
            "latencies": latencies,
            "answers": answers,
        }

    # --- what the database says

    def admissions(self, slot) -> dict:
        from apps.bookings.models import Ticket
        from apps.checkin.models import Scan

        admitted = Scan.objects.filter(slot=slot, result=Scan.Result.ADMITTED)
        return {
            "scans": Scan.objects.filter(slot=slot).count(),
            "admissions": admitted.count(),
            "tickets admitted": admitted.values("ticket").distinct().count(),
            "tickets used": Ticket.objects.filter(
                booking__slot=slot, status=Ticket.Status.USED
            ).count(),
        }

    def run(self) -> int:
        args = self.args
        print(
            f"VENUE check-in bench: {args.processes} gunicorn processes x {args.threads} threads, "
            f"{args.tickets} tickets, {args.gates} gates scanning all of them at once "
            f"({args.lanes} scan{'s' if args.lanes > 1 else ''} in flight per gate)"
        )
        base = self.base
        base.create_database()
        try:
            started = time.perf_counter()
            organizer, slot = self.make_showtime()
            codes = self.sell_out(slot)
            tokens = self.make_scanners(organizer)
            print(f"  setup: {len(codes)} tickets sold in {time.perf_counter() - started:.1f} s")
            try:
                base.start_server()
                cpu_before = base.cpu_seconds()
                result = asyncio.run(self.run_gates(slot.pk, codes, tokens))
                cpu_after = base.cpu_seconds()
                memory = base.server_memory_mb()
            finally:
                base.stop_server()
            counted = self.admissions(slot)
        finally:
            base.drop_database()
        return self.report(result, counted, cpu_before, cpu_after, memory, len(codes))

    def report(self, result, counted, cpu_before, cpu_after, memory, tickets) -> int:
        args = self.args
        scans = len(result["latencies"])
        values = result["latencies"]
        print(f"\n{args.gates} gates x {tickets} tickets")
        print(
            f"  scans: {scans} in {result['elapsed']:.1f} s = {scans / result['elapsed']:.0f} scans/s"
        )
        print(
            f"  scan latency ms  p50 {percentile(values, 50):6.1f}  p95 {percentile(values, 95):6.1f}"
            f"  p99 {percentile(values, 99):6.1f}  max {max(values, default=float('nan')):6.1f}"
        )
        print(f"  answers: {dict(sorted(result['answers'].items()))}")
        if scans:
            shares = ", ".join(
                f"{name} {(cpu_after[name] - before) / scans * 1000:.2f}"
                for name, before in cpu_before.items()
            )
            print(f"  CPU ms per scan: {shares}")
        print(f"  memory per server process (MB): {', '.join(f'{m:.0f}' for m in memory)}")
        print(f"\nin the database: {counted}")
        expected = {
            "200 admitted": tickets,
            "409 already_checked_in": tickets * (args.gates - 1),
        }
        expected = {key: n for key, n in expected.items() if n}
        problems = []
        for key in ("admissions", "tickets admitted", "tickets used"):
            if counted[key] != tickets:
                problems.append(f"{key}: {counted[key]}, not {tickets}")
        if dict(result["answers"]) != expected:
            problems.append(f"answers {dict(result['answers'])}, expected {expected}")
        if problems:
            print("FAILED: " + "; ".join(problems))
            return 1
        print(f"each of the {tickets} tickets admitted exactly once")
        return 0


def answer(response: httpx.Response) -> str:
    """`200 admitted`, `409 already_checked_in`, ...: the status and what the door said."""
    try:
        body = response.json()
    except ValueError:
        return str(response.status_code)
    if response.status_code == 200:
        return f"200 {body.get('result')}"
    error = body.get("error") if isinstance(body, dict) else None
    return f"{response.status_code} {error.get('code') if isinstance(error, dict) else '?'}"


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--processes", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker")
    parser.add_argument("--tickets", type=int, default=1000, help="tickets of the showtime")
    parser.add_argument("--gates", type=int, default=4, help="gates scanning at once")
    parser.add_argument(
        "--lanes", type=int, default=1, help="scans in flight per gate (1: one device per gate)"
    )
    args = parser.parse_args()
    if args.tickets < 1 or args.gates < 1 or args.lanes < 1:
        parser.error("--tickets, --gates and --lanes must be at least 1")
    sys.exit(CheckinBench(args).run())


if __name__ == "__main__":
    main()
