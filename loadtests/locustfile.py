"""VENUE under load: four locust scenarios, one user class each.

Run by `loadtests/run.py` (`make loadtest`), which starts the nginx topology,
creates the data and writes the plan this file reads from the JSON file named by
`VENUE_LOADTEST_PLAN`:

    {"events": [ids], "slots": [ids],                  # browsing
     "tokens": [bearer access tokens, one per buyer],  # every booking scenario
     "slot": id, "seats": [seat ids]}                  # the showtime being sold

Scenarios (pick one by class name on the locust command line):

- `BrowsingUser`: event list, event detail, seat map.
- `BookingRaceUser`: buyers hold then confirm distinct seats of one showtime;
  any answer but 201 is a failure.
- `FlashSaleUser`: many buyers, few seats: 409 `seat_unavailable` is the
  expected answer once the seats are gone, never a 5xx.
- `RateLimitUser`: with the limits on, 429 is expected and must carry
  `Retry-After`; never a 5xx.

Every response status is counted and written at exit to the JSON file named by
`VENUE_LOADTEST_STATUS` (locust's CSV has no per-status breakdown). The counts
include the requests that finish while users stop, after locust's CSV snapshot,
so they may be a little higher than the CSV's request counts.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import uuid
from collections import Counter
from pathlib import Path

from locust import FastHttpUser, between, constant, events, task
from locust.exception import StopUser

PLAN = json.loads(Path(os.environ["VENUE_LOADTEST_PLAN"]).read_text())
STATUSES: Counter = Counter()
_tokens = itertools.cycle(PLAN.get("tokens") or [""])
_seat_pairs = iter([PLAN["seats"][i : i + 2] for i in range(0, len(PLAN.get("seats", [])) - 1, 2)])

HOLD = "/api/v1/bookings/hold-seats/"
CONFIRM = "/api/v1/bookings/confirm/"
PAYMENT = {"method": "test", "token": "ok"}


@events.request.add_listener
def count_status(response=None, exception=None, **kwargs):
    status = getattr(response, "status_code", 0) if response is not None else 0
    STATUSES[str(status or "no_response")] += 1
    if status == 429:
        has_retry_after = bool(response.headers.get("Retry-After"))
        STATUSES["429_with_retry_after" if has_retry_after else "429_without_retry_after"] += 1


@events.quitting.add_listener
def write_statuses(environment, **kwargs):
    target = os.environ.get("VENUE_LOADTEST_STATUS")
    if target:
        Path(target).write_text(json.dumps(dict(STATUSES), sort_keys=True))


def error_code(response) -> str | None:
    try:
        return response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


class Buyer(FastHttpUser):
    abstract = True

    def on_start(self):
        self.headers = {"Authorization": f"Bearer {next(_tokens)}"}

    def hold(self, seats: list[int], expected: dict[int, str | None]):
        """POST hold-seats; `expected` maps acceptable statuses to their error code (or None)."""
        with self.client.post(
            HOLD,
            json={"slot": PLAN["slot"], "seats": seats},
            headers=self.headers,
            name="hold-seats",
            catch_response=True,
        ) as response:
            status = response.status_code
            if status in expected and (expected[status] in (None, error_code(response))):
                response.success()
            else:
                response.failure(f"hold: {status} {response.text[:200]}")
            return response

    def confirm(self, hold_id: int):
        with self.client.post(
            CONFIRM,
            json={"hold": hold_id, "payment": PAYMENT},
            headers={**self.headers, "Idempotency-Key": uuid.uuid4().hex},
            name="confirm",
            catch_response=True,
        ) as response:
            if response.status_code == 201:
                response.success()
            else:
                response.failure(f"confirm: {response.status_code} {response.text[:200]}")


class BrowsingUser(FastHttpUser):
    """Anonymous visitors: the event list, an event, a seat map."""

    wait_time = between(0.1, 0.5)

    @task(3)
    def event_list(self):
        self.client.get("/api/v1/events/", name="events list")

    @task(2)
    def event_detail(self):
        self.client.get(f"/api/v1/events/{random.choice(PLAN['events'])}/", name="event detail")

    @task(2)
    def seat_map(self):
        self.client.get(f"/api/v1/slots/{random.choice(PLAN['slots'])}/seats/", name="seat map")


class BookingRaceUser(Buyer):
    """Buyers racing on one showtime, each hold for two seats nobody else asks for."""

    wait_time = constant(0)

    @task
    def book(self):
        seats = next(_seat_pairs, None)
        if seats is None:  # the showtime is sold out: this buyer is done
            raise StopUser()
        held = self.hold(seats, {201: None})
        if held.status_code == 201:
            self.confirm(held.json()["id"])


class FlashSaleUser(Buyer):
    """Many buyers, few seats: after the first few, everyone is told the seats are gone."""

    wait_time = between(0.05, 0.3)

    @task
    def try_to_book(self):
        seats = random.sample(PLAN["seats"], k=min(2, len(PLAN["seats"])))
        held = self.hold(seats, {201: None, 409: "seat_unavailable"})
        if held.status_code == 201:
            self.confirm(held.json()["id"])


class RateLimitUser(Buyer):
    """Limits on: catalog reads and holds until the limiters answer 429 with Retry-After."""

    wait_time = between(0.01, 0.1)

    def _limited(self, response):
        if response.status_code == 429:
            if response.headers.get("Retry-After"):
                response.success()
            else:
                response.failure("429 without Retry-After")
        elif response.status_code >= 500:
            response.failure(f"{response.status_code} {response.text[:200]}")
        else:
            response.success()

    @task(1)
    def event_list(self):
        with self.client.get("/api/v1/events/", name="events list", catch_response=True) as r:
            self._limited(r)

    @task(1)
    def hold_one_seat(self):
        seats = random.sample(PLAN["seats"], k=1)
        with self.client.post(
            HOLD,
            json={"slot": PLAN["slot"], "seats": seats},
            headers=self.headers,
            name="hold-seats",
            catch_response=True,
        ) as response:
            self._limited(response)
