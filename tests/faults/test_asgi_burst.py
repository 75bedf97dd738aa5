"""ASGI bursts: two uvicorn processes (venue.asgi, production settings) on the suite's
own cluster (max_connections = 100).

80 buyers race for the same 24 seats (holds and confirms at once), then 100 buyers
each buy a seat of their own as fast as they can. Every answer is counted by
status: none may be a 500 (a 503 with Retry-After is the honest answer when the
database is saturated, and the clients repeat it), and the database must show no
seat sold twice, every 201 a confirmed booking and every charge booked.
"""

from __future__ import annotations

import statistics
import threading

from . import checks
from .buyers import Buyer, Deadline, Tally, now, run_buyers
from .scenario import conclude, status_problems, summarize_purchases

BURST_BUYERS = 80
CONTESTED_SEATS = 24
THROUGHPUT_BUYERS = 100
TIME_LIMIT = 90.0  # s: every client done, whatever the servers answer


def run_crowd(stack, plans: list[dict[int, list[int]]], *, max_purchases: int) -> dict:
    """Start one buyer per plan at the same instant (a barrier), wait for them (bounded),
    return the purchases, the tally and the timings."""
    tally = Tally()
    stop = threading.Event()
    deadline = Deadline(now() + TIME_LIMIT)
    barrier = threading.Barrier(len(plans) + 1)
    crowd = [
        Buyer(
            stack.client(email, tally, index),
            plan,
            stop=stop,
            deadline=deadline,
            seed=index,
            think=(0.0, 0.0),
            max_purchases=max_purchases,
            start_barrier=barrier,
        )
        for index, (email, plan) in enumerate(zip(stack.services.buyers, plans, strict=False))
    ]
    assert len(crowd) == len(plans), "not enough buyer accounts"
    for buyer in crowd:
        buyer.start()
    with checks.connection_peak(stack.database_url) as peak:
        barrier.wait(timeout=60)
        started = now()
        problems = run_buyers(crowd, timeout=TIME_LIMIT + 20)
    stop.set()
    purchases = [p for b in crowd for p in b.purchases]
    finished = [p.finished for p in purchases if p.finished is not None]
    wall = round((max(finished) if finished else now()) - started, 2)
    durations = sorted(p.finished - p.started for p in purchases if p.finished is not None)
    return {
        "purchases": purchases,
        "tally": tally,
        "thread_problems": problems,
        "started": started,
        "wall_seconds": wall,
        "peak_connections": peak["peak"],
        "peak_sampling_refused": peak["refused"],
        "purchase_p50_s": round(statistics.median(durations), 3) if durations else None,
        "purchase_p95_s": (
            round(durations[int(len(durations) * 0.95) - 1], 3) if durations else None
        ),
    }


def burst(stack, report, name: str, slot_id: int, plans, *, max_purchases: int, want):
    """Run the crowd of `plans` on one showtime, check everything and record it; `want` is
    (figure, value it must have, what that means)."""
    logs = stack.scenario_logs(name)
    run = run_crowd(stack, plans, max_purchases=max_purchases)
    figures = {
        "test": name,
        "buyers": len(plans),
        "slots": [slot_id],
        **summarize_purchases(run["purchases"]),
        **run["tally"].figures(run["started"]),
        **{k: v for k, v in run.items() if k not in ("purchases", "tally", "started")},
        **checks.payment_figures(stack.database_url, [slot_id]),
    }
    booked = figures["bookings_confirmed"]
    figures["bookings_per_second"] = round(booked / run["wall_seconds"], 1) if booked else 0

    problems = list(run["thread_problems"])
    problems += status_problems(run["tally"])
    if figures["unfinished"]:
        problems.append(
            f"{len(figures['unfinished'])} requests without a final answer within "
            f"{TIME_LIMIT}s: {figures['unfinished'][:3]}"
        )
    problems += checks.invariants(stack.database_url, [slot_id], run["purchases"])
    figure, value, meaning = want
    if figures[figure] != value:
        problems.append(f"{figure} {figures[figure]}, not {value} ({meaning})")
    conclude(report, name, figures, problems, logs)


def test_80_buyers_race_for_24_seats(asgi_pair, fault_report):
    ((slot_id, seats),) = asgi_pair.services.take_slots(1)
    plans = [{slot_id: seats[:CONTESTED_SEATS]}] * BURST_BUYERS
    want = ("seats_booked", CONTESTED_SEATS, "buyers kept trying while a contested seat was free")
    burst(
        asgi_pair, fault_report, "asgi_burst_80_for_24", slot_id, plans, max_purchases=3, want=want
    )


def test_throughput_100_buyers(asgi_pair, fault_report):
    ((slot_id, seats),) = asgi_pair.services.take_slots(1)
    assert len(seats) >= THROUGHPUT_BUYERS, "the showtime has too few seats"
    plans = [{slot_id: [seat]} for seat in seats[:THROUGHPUT_BUYERS]]
    want = ("bookings_confirmed", THROUGHPUT_BUYERS, "each buyer had a seat of their own")
    burst(
        asgi_pair, fault_report, "asgi_throughput_100", slot_id, plans, max_purchases=1, want=want
    )
