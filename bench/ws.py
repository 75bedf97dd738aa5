"""Live seat map benchmark: N WebSocket watchers of one showtime on two server processes.

    make bench-ws         # or: .venv/bin/python bench/ws.py --help

Needs PostgreSQL (DATABASE_URL; a scratch database `venue_wsbench_<pid>` is
created and dropped, with bench/booking.py's helpers) and
Redis (REDIS_URL: the channel layer that carries updates between the two
processes). Starts two uvicorn processes on loopback (the rig of tests/lb),
opens the watchers, half on each, then makes changes through the HTTP API
(holds, then their releases, alternating between two processes) on a fixed
schedule: by default through two gunicorn processes, as deployed (nginx sends
the API to the WSGI pool), or with `--api asgi` through the watchers' own
uvicorn processes, as `make run` serves everything. Each watcher follows the protocol (apps.bookings.seatmap.SeatMapView):
it applies updates, resyncs on a version gap. Printed: delivery latency
p50/p95/p99 (from the server's `sent_at` to receipt), delivery ratio, gaps
detected, and the watchers that missed an update without detecting it: those
whose final view differs from the database's (must be 0).
"""

import argparse
import asyncio
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import httpx
import websockets

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from booking import Bench, percentile, with_database  # noqa: E402

from tests.lb import rig  # noqa: E402

OPEN_TIMEOUT = 30  # seconds for one handshake (the whole run is bounded by --deadline)


class Watcher:
    def __init__(self, url: str, origin: str):
        from apps.bookings.seatmap import SeatMapView

        self.url, self.origin = url, origin
        self.view = SeatMapView()
        self.latencies: list[float] = []
        self.updates = 0
        self.resyncs = 0
        self.snapshots = 0  # after the first: resync answers and the server's repairs
        self.ws = None
        self.error: str | None = None

    async def open(self) -> None:
        self.ws = await websockets.connect(
            self.url, origin=self.origin, open_timeout=OPEN_TIMEOUT, max_queue=None
        )
        self.view.apply(json.loads(await asyncio.wait_for(self.ws.recv(), OPEN_TIMEOUT)))

    async def run(self) -> None:
        try:
            async for raw in self.ws:
                received = time.time()
                message = json.loads(raw)
                if message.get("type") == "snapshot":
                    self.snapshots += 1
                elif message.get("type") == "update":
                    self.updates += 1
                    if message.get("sent_at"):
                        self.latencies.append((received - message["sent_at"]) * 1000)
                if self.view.apply(message) == "gap":
                    self.resyncs += 1
                    await self.ws.send('{"type":"resync"}')
        except websockets.ConnectionClosed as exc:
            self.error = f"closed {exc.code}"

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


class WsBench:
    def __init__(self, args):
        self.args = args
        if not os.environ.get("REDIS_URL"):
            sys.exit("bench/ws.py needs REDIS_URL: updates cross the two processes through Redis")
        # bench/booking.py's scratch database, environment and data helpers.
        self.base = Bench(SimpleNamespace(processes=1, threads=1))
        self.base.db_name = f"venue_wsbench_{os.getpid()}"
        self.base.db_url = with_database(self.base.base_url, self.base.db_name)
        self.base.env["DATABASE_URL"] = self.base.db_url
        self.backends: list[rig.Backend] = []  # the watchers' (uvicorn)
        self.api: list[rig.Backend] = []  # where the changes are made

    def start_servers(self, run_dir: Path) -> None:
        env = {k: v for k, v in self.base.env.items() if isinstance(v, str)}
        for index in range(2):
            name = f"asgi-{index}"
            backend = rig.Backend(name, "asgi", rig.free_port(), env, run_dir / f"{name}.log")
            self.backends.append(backend)
        if self.args.api == "wsgi":
            # As deployed (nginx sends the API to gunicorn): two one-worker gunicorns.
            wsgi_env = {**env, "WEB_CONCURRENCY": "1"}
            for index in range(2):
                name = f"wsgi-{index}"
                log = run_dir / f"{name}.log"
                self.api.append(rig.Backend(name, "wsgi", rig.free_port(), wsgi_env, log))
        else:
            self.api = self.backends
        for backend in self.servers:
            backend.start()
        for backend in self.servers:
            backend.wait_ready()

    @property
    def servers(self) -> list[rig.Backend]:
        return self.backends + [b for b in self.api if b not in self.backends]

    def stop_servers(self) -> None:
        for backend in self.servers:
            backend.stop()

    def truth(self, slot_id: int) -> dict:
        from apps.bookings.selectors import seatmap_snapshot

        return seatmap_snapshot(slot_id)

    async def open_watchers(self, slot_id: int) -> list[Watcher]:
        watchers = []
        for i in range(self.args.watchers):  # half on each process
            backend = self.backends[i % 2]
            watchers.append(
                Watcher(f"ws://127.0.0.1:{backend.port}/ws/slots/{slot_id}/", backend.url)
            )
        gate = asyncio.Semaphore(self.args.connect_concurrency)

        async def open_one(watcher):
            async with gate:
                await watcher.open()

        await asyncio.gather(*(open_one(w) for w in watchers))
        return watchers

    async def make_changes(self, slot_id: int, seats: list[int], tokens: list[str]) -> dict:
        """Hold one seat per buyer, then release the holds; alternate the processes.

        Changes start on a fixed schedule (`--rate` per second) whether or not the
        previous ones have answered, so a slow server cannot lower the rate; the
        achieved rate is reported."""
        http_ms, statuses = [], Counter()
        count = self.args.changes // 2
        holds: list[asyncio.Future] = [
            asyncio.get_running_loop().create_future() for _ in range(count)
        ]
        clients = [
            httpx.AsyncClient(base_url=b.url, timeout=30, headers={"Accept": "application/json"})
            for b in self.api
        ]

        async def change(n: int, kind: str, i: int) -> None:
            client = clients[n % 2]
            headers = {"Authorization": f"Bearer {tokens[i]}"}
            hold_id = None if kind == "hold" else await holds[i]
            started = time.perf_counter()
            try:
                if kind == "hold":
                    reply = await client.post(
                        "/api/v1/bookings/hold-seats/",
                        json={"slot": slot_id, "seats": [seats[i]]},
                        headers=headers,
                    )
                else:
                    reply = await client.delete(f"/api/v1/holds/{hold_id}/", headers=headers)
                statuses[f"{kind} {reply.status_code}"] += 1
            except httpx.HTTPError as exc:
                reply = None
                statuses[f"{kind} {type(exc).__name__}"] += 1
            finally:
                http_ms.append((time.perf_counter() - started) * 1000)
                if kind == "hold":
                    ok = reply is not None and reply.status_code == 201
                    holds[i].set_result(reply.json()["id"] if ok else 0)

        plan = [("hold", i) for i in range(count)] + [("release", i) for i in range(count)]
        started = time.perf_counter()
        tasks = []
        try:
            for n, (kind, i) in enumerate(plan):
                await asyncio.sleep(max(0.0, started + n / self.args.rate - time.perf_counter()))
                tasks.append(asyncio.create_task(change(n, kind, i)))
            await asyncio.gather(*tasks)
        finally:
            for client in clients:
                await client.aclose()
        elapsed = time.perf_counter() - started
        return {
            "http_ms": http_ms,
            "statuses": dict(statuses),
            "changes": len(plan),
            "rate": len(plan) / elapsed if elapsed else float("nan"),
        }

    async def scenario(self, slot_id: int, seats: list[int], tokens: list[str]) -> dict:
        started = time.perf_counter()
        watchers = await self.open_watchers(slot_id)
        connect_s = time.perf_counter() - started
        readers = [asyncio.create_task(w.run()) for w in watchers]
        try:
            changes = await self.make_changes(slot_id, seats, tokens)
            final = await asyncio.to_thread(self.truth, slot_id)
            # Let the last updates (and any resync answers) arrive, within a bound.
            deadline = time.monotonic() + self.args.settle
            while time.monotonic() < deadline:
                if all(w.view.version >= final["version"] for w in watchers):
                    break
                await asyncio.sleep(0.1)
        finally:
            for watcher in watchers:
                await watcher.close()
            await asyncio.gather(*readers, return_exceptions=True)
        return {"watchers": watchers, "final": final, "connect_s": connect_s, **changes}

    def report(self, result: dict) -> int:
        watchers, final = result["watchers"], result["final"]
        latencies = [ms for w in watchers for ms in w.latencies]
        expected = len(watchers) * result["changes"]
        delivered = sum(w.updates for w in watchers)
        resyncs = sum(w.resyncs for w in watchers)
        repairs = sum(max(0, w.snapshots - w.resyncs) for w in watchers)
        undetected = sum(
            1
            for w in watchers
            if w.view.seats != final["seats"]
            or w.view.available != final["available"]
            or (w.view.version != final["version"] and not w.resyncs)
        )
        closed = Counter(w.error for w in watchers if w.error)
        print(
            f"\n{len(watchers)} watchers ({len(watchers) // 2} per process) connected in "
            f"{result['connect_s']:.1f} s; {result['changes']} changes scheduled at "
            f"{self.args.rate:g}/s, done at {result['rate']:.1f}/s"
        )
        print(
            f"  delivery latency ms (sent_at -> received)  p50 {percentile(latencies, 50):6.1f}"
            f"  p95 {percentile(latencies, 95):6.1f}  p99 {percentile(latencies, 99):6.1f}"
            f"  max {max(latencies, default=float('nan')):6.1f}"
        )
        http = result["http_ms"]
        print(
            f"  API change latency ms  p50 {percentile(http, 50):6.1f}  p95 {percentile(http, 95):6.1f}"
            f"  p99 {percentile(http, 99):6.1f}; responses {dict(sorted(result['statuses'].items()))}"
        )
        print(
            f"  updates delivered: {delivered} of {expected} ({delivered / max(expected, 1):.2%});"
            f" gaps detected and resynced: {resyncs}; snapshots the server sent unasked"
            f" (version check): {repairs}; sockets closed: {sum(closed.values())} {dict(closed)}"
        )
        print(
            f"  final version {final['version']}; watchers that missed an update without "
            f"detecting it: {undetected}"
        )
        return 1 if undetected else 0

    def run(self) -> int:
        import shutil
        import tempfile

        args = self.args
        print(
            f"VENUE live seat map bench: {args.watchers} watchers on one showtime, "
            f"2 uvicorn processes, Redis channel layer; changes through 2 "
            f"{'gunicorn' if args.api == 'wsgi' else 'uvicorn'} processes"
        )
        run_dir = Path(tempfile.mkdtemp(prefix="venue-wsbench-"))
        self.base.create_database()
        try:
            slot = self.base.make_showtimes(1, args.rows, args.per_row)[0]
            seats = list(slot.screen.seats.order_by("id").values_list("id", flat=True))
            count = min(args.changes // 2, len(seats))
            args.changes = 2 * count
            tokens = self.base.make_buyers(count)
            try:
                self.start_servers(run_dir)
                result = asyncio.run(
                    asyncio.wait_for(self.scenario(slot.pk, seats, tokens), args.deadline)
                )
            finally:
                self.stop_servers()
            return self.report(result)
        finally:
            self.base.drop_database()
            shutil.rmtree(run_dir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--watchers", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=100, help="holds then their releases")
    parser.add_argument("--rate", type=float, default=10.0, help="changes per second")
    parser.add_argument("--rows", type=int, default=10)
    parser.add_argument("--per-row", type=int, default=20)
    parser.add_argument(
        "--api",
        choices=["wsgi", "asgi"],
        default="wsgi",
        help="make the changes through two gunicorn processes, as deployed (default), "
        "or through the watchers' own uvicorn processes, as `make run` serves everything",
    )
    parser.add_argument("--connect-concurrency", type=int, default=50)
    parser.add_argument("--settle", type=float, default=10.0, help="seconds to wait at the end")
    parser.add_argument("--deadline", type=float, default=150.0, help="bound on the whole run")
    sys.exit(WsBench(parser.parse_args()).run())


if __name__ == "__main__":
    main()
