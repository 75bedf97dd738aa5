"""Buyers as real threads, each with its own HTTP connections, behaving like real clients.

A request that fails (a 5xx answer or a broken connection) is repeated, the same
request with the same Idempotency-Key, for a bounded time; a confirm answered 409
`request_in_progress` is repeated too (the first attempt may still be settling).
Every answer is counted by status in a `Tally`, with the time it arrived, so a
test can say what the clients saw before, during and after a fault.
"""

from __future__ import annotations

import http.client
import random
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from tests.support import web
from tests.support.booking import confirm_body

TRANSPORT_ERRORS = (OSError, http.client.HTTPException)
REQUEST_TIMEOUT = 15.0  # seconds per HTTP request (gunicorn kills a request after 30)
RETRY_PAUSE = 0.25
IN_PROGRESS_PAUSE = 0.5
PASSWORD = "Faults-pass-2026!"  # every buyer account made by the suite


def now() -> float:
    return time.monotonic()


def error_code(reply: web.Reply) -> str | None:
    if reply.status < 400:
        return None
    try:
        return reply.json().get("error", {}).get("code")
    except ValueError:
        return None


class Tally:
    """Every answer the clients got: counts by status and endpoint, 5xx samples and times."""

    def __init__(self):
        self.lock = threading.Lock()
        self.statuses: Counter = Counter()  # status (int) or "connection_error"
        self.by_endpoint: Counter = Counter()  # "endpoint status"
        self.samples: list[dict] = []  # the first few 5xx bodies, with their request ids
        self.times_5xx: list[float] = []
        self.missing_retry_after = 0  # API 503s without Retry-After

    def record(
        self,
        endpoint: str,
        reply: web.Reply | None,
        error: Exception | None = None,
        request_id: str | None = None,
    ):
        """Count one answer; `request_id` is the X-Request-ID the client sent (the one
        answered wins: a 500 of gunicorn itself carries none)."""
        status = reply.status if reply is not None else "connection_error"
        with self.lock:
            self.statuses[status] += 1
            self.by_endpoint[f"{endpoint} {status}"] += 1
            if reply is not None and reply.status >= 500:
                self.times_5xx.append(now())
                api = endpoint != "readyz"
                if reply.status == 503 and api and not reply.headers.get("Retry-After"):
                    self.missing_retry_after += 1
                if sum(1 for s in self.samples if s["status"] == reply.status) < 5:
                    self.samples.append(
                        {
                            "endpoint": endpoint,
                            "status": reply.status,
                            "request_id": reply.headers.get("X-Request-ID") or request_id,
                            "body": reply.body[:300].decode(errors="replace"),
                        }
                    )
            elif reply is None and len(self.samples) < 40:
                kind = type(error).__name__ if error else "error"
                if sum(1 for s in self.samples if s["status"] == kind) < 3:
                    self.samples.append(
                        {
                            "endpoint": endpoint,
                            "status": kind,
                            "request_id": request_id,
                            "body": str(error),
                        }
                    )

    def figures(self, origin: float) -> dict:
        with self.lock:
            answers = {str(k): v for k, v in sorted(self.statuses.items(), key=str)}
            five_xx = {
                str(k): v for k, v in self.statuses.items() if isinstance(k, int) and k >= 500
            }
            api_5xx = Counter()
            for name, n in self.by_endpoint.items():
                endpoint, status = name.rsplit(" ", 1)
                if endpoint != "readyz" and status.isdigit() and int(status) >= 500:
                    api_5xx[status] += n
            return {
                "answers": answers,
                "answers_5xx": five_xx,
                "api_answers_5xx": dict(api_5xx),
                "connection_errors": self.statuses["connection_error"],
                "by_endpoint": dict(sorted(self.by_endpoint.items())),
                "api_503_without_retry_after": self.missing_retry_after,
                "last_5xx_after_recovery_s": (
                    round(max(self.times_5xx) - origin, 2) if self.times_5xx else None
                ),
                "samples_5xx": self.samples[:20],
            }


class Tokens:
    """Bearer tokens from `POST /api/v1/auth/token/`, fetched ahead and renewed before they
    expire (access tokens live 5 minutes)."""

    LIFETIME = 200.0

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.lock = threading.Lock()
        self.tokens: dict[str, tuple[str, float]] = {}

    def _fetch(self, email: str) -> str:
        deadline = now() + 60
        last = None
        while now() < deadline:
            try:
                reply = web.fetch(
                    f"{self.base_url}/api/v1/auth/token/",
                    "POST",
                    json_body={"email": email, "password": PASSWORD},
                    timeout=REQUEST_TIMEOUT,
                )
            except TRANSPORT_ERRORS as exc:
                last = exc
                time.sleep(RETRY_PAUSE)
                continue
            if reply.status == 200:
                return reply.json()["access"]
            last = f"{reply.status} {reply.body[:200]!r}"
            if reply.status < 500:
                break
            time.sleep(RETRY_PAUSE)
        raise RuntimeError(f"no token for {email}: {last}")

    def get(self, email: str, *, renew: bool = False) -> str:
        with self.lock:
            cached = self.tokens.get(email)
        if cached and not renew and now() - cached[1] < self.LIFETIME:
            return cached[0]
        token = self._fetch(email)
        with self.lock:
            self.tokens[email] = (token, now())
        return token

    def prefetch(self, emails: list[str], workers: int = 8) -> None:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(lambda e: self.get(e, renew=True), emails))


class Client:
    """One user's HTTP client: each request on its own connection, each repeat bounded."""

    def __init__(self, base_url: str, email: str, tokens: Tokens, tally: Tally):
        self.base_url, self.email, self.tokens, self.tally = base_url, email, tokens, tally

    def once(self, endpoint, method, path, *, body=None, headers=None, auth=True):
        """One attempt: the reply, or None for a broken connection (both counted). Each
        attempt has a request id of its own, to find it in the servers' logs."""
        request_id = f"faults-{uuid.uuid4().hex}"
        send = {"X-Request-ID": request_id, **(headers or {})}
        if auth:
            send["Authorization"] = f"Bearer {self.tokens.get(self.email)}"
        try:
            reply = web.fetch(
                self.base_url + path,
                method,
                json_body=body,
                headers=send,
                timeout=REQUEST_TIMEOUT,
            )
        except TRANSPORT_ERRORS as exc:
            self.tally.record(endpoint, None, exc, request_id)
            return None
        self.tally.record(endpoint, reply, request_id=request_id)
        if reply.status == 401 and auth:
            self.tokens.get(self.email, renew=True)
        return reply

    def call(self, endpoint, method, path, *, until, body=None, headers=None, repeat_codes=()):
        """Repeat until a final answer (below 500, code not in `repeat_codes`) or `until`
        (a monotonic time, or a callable giving it: a deadline that may move).

        Return (the final reply or the last one seen, attempts, whether it is final)."""
        attempts, last = 0, None
        limit = until if callable(until) else (lambda: until)
        while True:
            attempts += 1
            reply = self.once(endpoint, method, path, body=body, headers=headers)
            if reply is not None:
                last = reply
                code = error_code(reply)
                if reply.status == 401:
                    pass  # the token was renewed: repeat
                elif reply.status < 500 and code not in repeat_codes:
                    return reply, attempts, True
            if now() >= limit():
                return last, attempts, False
            pause = IN_PROGRESS_PAUSE if reply is not None and reply.status == 409 else RETRY_PAUSE
            if reply is not None and reply.status == 503:
                retry_after = reply.headers.get("Retry-After", "")
                if retry_after.isdigit():
                    pause = min(max(pause, int(retry_after)), 2.0)
            time.sleep(min(pause, max(limit() - now(), 0.01)))


class Deadline:
    """A moving time limit shared by buyers: a test sets it once it knows when the fault
    ended (clients then repeat until a fixed time after the recovery)."""

    def __init__(self, at: float):
        self.at = at


@dataclass
class Purchase:
    """One hold -> confirm (-> cancel) as the client saw it."""

    buyer: str
    slot: int
    seats: list[int]
    key: str = ""
    hold_id: int | None = None
    hold_status: int | None = None
    hold_code: str | None = None
    confirm_status: int | None = None
    confirm_code: str | None = None
    confirm_final: bool = True
    confirm_attempts: int = 0
    booking_id: int | None = None
    booking_seats: list[int] = field(default_factory=list)
    cancel_status: int | None = None
    cancel_code: str | None = None
    cancel_final: bool = True
    started: float = 0.0
    confirm_started: float | None = None
    confirm_ended: float | None = None
    finished: float | None = None
    unfinished: str = ""  # what the client was still waiting for at its deadline

    @property
    def booked(self) -> bool:
        return self.confirm_status == 201 and self.booking_id is not None

    @property
    def cancelled(self) -> bool:
        return self.cancel_status == 200 or self.cancel_code == "already_cancelled"


def free_seats(client: Client, slot_id: int, until: float, allowed: set[int]) -> list[int] | None:
    limit = min(until, now() + 10)
    reply, _, final = client.call("seats", "GET", f"/api/v1/slots/{slot_id}/seats/", until=limit)
    if not final or reply is None or reply.status != 200:
        return None
    return [
        s["id"] for s in reply.json()["seats"] if s["status"] == "available" and s["id"] in allowed
    ]


class Buyer(threading.Thread):
    """Buys seats of `slots` (slot id -> seat ids it may take) until `stop` is set.

    Each purchase looks at the seat map, holds 1-`max_seats` free seats and confirms
    with a fresh Idempotency-Key; with `cancel`, it then cancels the booking (which
    queues a refund). A request is repeated until `request_window` seconds after its
    first attempt or `hard_deadline`, whichever is first."""

    def __init__(
        self,
        client: Client,
        slots: dict[int, list[int]],
        *,
        stop: threading.Event,
        deadline: Deadline,
        seed: int,
        cancel: bool = False,
        max_seats: int = 2,
        think: tuple[float, float] = (0.4, 0.9),
        request_window: float = 45.0,
        max_purchases: int | None = None,
        start_barrier: threading.Barrier | None = None,
    ):
        super().__init__(daemon=True, name=f"buyer-{client.email}")
        self.client, self.slots, self.stop = client, slots, stop
        self.deadline, self.cancel, self.max_seats = deadline, cancel, max_seats
        self.think, self.request_window = think, request_window
        self.max_purchases, self.start_barrier = max_purchases, start_barrier
        self.rng = random.Random(seed)
        self.purchases: list[Purchase] = []
        self.crashed: str | None = None

    @property
    def hard_deadline(self) -> float:
        return self.deadline.at

    def until(self, started: float):
        return lambda: min(started + self.request_window, self.deadline.at)

    def run(self):
        try:
            if self.start_barrier is not None:
                self.start_barrier.wait(timeout=60)
            while not self.stop.is_set() and now() < self.hard_deadline:
                if self.max_purchases is not None and len(self.purchases) >= self.max_purchases:
                    return
                if not self.buy_once():
                    return
                if self.think[1] > 0:
                    time.sleep(self.rng.uniform(*self.think))
        except Exception as exc:  # reported by the test, never silent
            self.crashed = f"{type(exc).__name__}: {exc}"

    def buy_once(self) -> bool:
        """One purchase; False when there is nothing left to buy."""
        slot_id = self.rng.choice(list(self.slots))
        allowed = set(self.slots[slot_id])
        free = free_seats(self.client, slot_id, self.hard_deadline, allowed)
        if free is None:
            time.sleep(RETRY_PAUSE)
            return True
        if not free:
            others = [s for s in self.slots if s != slot_id]
            if not others:
                return False
            self.slots = {s: self.slots[s] for s in others}
            return True
        seats = sorted(self.rng.sample(free, min(len(free), self.rng.randint(1, self.max_seats))))
        purchase = Purchase(self.client.email, slot_id, seats, started=now())
        self.purchases.append(purchase)
        self.purchase(purchase)
        return True

    def purchase(self, p: Purchase) -> None:
        held, _, final = self.client.call(
            "hold",
            "POST",
            "/api/v1/bookings/hold-seats/",
            body={"slot": p.slot, "seats": p.seats},
            until=self.until(now()),
            repeat_codes=("hold_in_progress",),
        )
        p.hold_status = held.status if held is not None else None
        p.hold_code = error_code(held) if held is not None else None
        if not final:
            p.unfinished = "hold"
            return
        if held.status != 201:
            p.finished = now()
            return
        p.hold_id = held.json()["id"]
        p.key = uuid.uuid4().hex
        p.confirm_started = now()
        confirmed, p.confirm_attempts, p.confirm_final = self.client.call(
            "confirm",
            "POST",
            "/api/v1/bookings/confirm/",
            body=confirm_body(p.hold_id),
            headers={"Idempotency-Key": p.key},
            until=self.until(now()),
            repeat_codes=("request_in_progress",),
        )
        p.confirm_ended = now()
        if confirmed is not None:
            p.confirm_status, p.confirm_code = confirmed.status, error_code(confirmed)
        if not p.confirm_final:
            p.unfinished = f"confirm (last answer {p.confirm_status} {p.confirm_code})"
            return
        if confirmed.status == 201:
            body = confirmed.json()
            p.booking_id, p.booking_seats = body["id"], body["seats"]
        if self.cancel and p.booked:
            cancelled, _, p.cancel_final = self.client.call(
                "cancel",
                "POST",
                f"/api/v1/bookings/{p.booking_id}/cancel/",
                until=self.until(now()),
            )
            if cancelled is not None:
                p.cancel_status, p.cancel_code = cancelled.status, error_code(cancelled)
            if not p.cancel_final:
                p.unfinished = f"cancel (last answer {p.cancel_status})"
                return
        p.finished = now()


class Prober(threading.Thread):
    """Asks /readyz and an authenticated API read every `interval` seconds, as a load
    balancer and a logged-in visitor would; remembers (time, ready status, api status)."""

    def __init__(self, client: Client, tally: Tally, interval: float = 0.2):
        super().__init__(daemon=True, name="prober")
        self.client, self.tally, self.interval = client, tally, interval
        self.stop = threading.Event()
        self.rounds: list[tuple[float, object, object]] = []

    def run(self):
        while not self.stop.is_set():
            t = now()
            ready = self.client.once("readyz", "GET", "/readyz", auth=False)
            api = self.client.once("bookings", "GET", "/api/v1/bookings/?page_size=1")
            self.rounds.append(
                (t, ready.status if ready else "connection_error", api.status if api else "error")
            )
            self.stop.wait(self.interval)

    def normal_again_after(self, origin: float, rounds_needed: int = 3) -> float | None:
        """Seconds after `origin` when `rounds_needed` rounds in a row answered 200 twice."""
        streak: list[float] = []
        for t, ready, api in self.rounds:
            if t < origin:
                continue
            if ready == 200 and api == 200:
                streak.append(t)
                if len(streak) >= rounds_needed:
                    return round(max(streak[0] - origin, 0.0), 2)
            else:
                streak = []
        return None

    def halt(self) -> None:
        self.stop.set()
        self.join(timeout=REQUEST_TIMEOUT * 2 + 5)


def run_buyers(buyers: list[Buyer], *, timeout: float) -> list[str]:
    """Join the buyers (bounded); return what went wrong with the threads themselves."""
    deadline = now() + timeout
    for buyer in buyers:
        buyer.join(timeout=max(deadline - now(), 0.1))
    problems = [f"{b.name} still running at its deadline" for b in buyers if b.is_alive()]
    problems += [f"{b.name} crashed: {b.crashed}" for b in buyers if b.crashed]
    return problems
