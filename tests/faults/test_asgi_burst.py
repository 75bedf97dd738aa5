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

import pytest

from . import checks
from .buyers import Buyer, Deadline, Tally, now, run_buyers
from .scenario import status_problems, summarize_purchases

pytestmark = pytest.mark.faults

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
    with checks.ConnectionPeak(stack.database_url) as peak:
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
        "peak_connections": peak.peak,
        "purchase_p50_s": round(statistics.median(durations), 3) if durations else None,
        "purchase_p95_s": (
            round(durations[int(len(durations) * 0.95) - 1], 3) if durations else None
        ),
    }


def figures_of(name: str, run: dict, database_url: str, slot_ids: list[int], buyers: int) -> dict:
    purchases = run["purchases"]
    figures = {
        "test": name,
        "buyers": buyers,
        "slots": slot_ids,
        **summarize_purchases(purchases),
        **run["tally"].figures(run["started"]),
        "wall_seconds": run["wall_seconds"],
        "peak_connections": run["peak_connections"],
        "purchase_p50_s": run["purchase_p50_s"],
        "purchase_p95_s": run["purchase_p95_s"],
        **checks.payment_figures(database_url, slot_ids),
    }
    booked = figures["bookings_confirmed"]
    figures["bookings_per_second"] = round(booked / run["wall_seconds"], 1) if booked else 0
    return figures


def finish(report, name: str, figures: dict, problems: list[str]) -> None:
    figures["problems"] = problems
    figures["verdict"] = "ok" if not problems else f"{len(problems)} problem(s)"
    report.record(name, figures)
    assert not problems, f"{name}: " + "\n".join(problems)


def common_problems(figures: dict, run: dict, database_url: str, slot_ids) -> list[str]:
    problems = list(run["thread_problems"])
    problems += status_problems(run["tally"])
    if figures["unfinished"]:
        problems.append(
            f"{len(figures['unfinished'])} requests without a final answer within "
            f"{TIME_LIMIT}s: {figures['unfinished'][:3]}"
        )
    problems += checks.invariants(database_url, slot_ids, run["purchases"])
    return problems


def test_80_buyers_race_for_24_seats(asgi_pair, fault_report):
    ((slot_id, seats),) = asgi_pair.services.take_slots(1)
    contested = seats[:CONTESTED_SEATS]
    run = run_crowd(asgi_pair, [{slot_id: contested}] * BURST_BUYERS, max_purchases=3)
    figures = figures_of(
        "asgi_burst_80_for_24", run, asgi_pair.database_url, [slot_id], BURST_BUYERS
    )
    problems = common_problems(figures, run, asgi_pair.database_url, [slot_id])
    if figures["seats_booked"] != CONTESTED_SEATS:
        problems.append(
            f"{figures['seats_booked']} of the {CONTESTED_SEATS} contested seats sold "
            "(buyers kept trying while any was free)"
        )
    finish(fault_report, "asgi_burst_80_for_24", figures, problems)


def test_throughput_100_buyers(asgi_pair, fault_report):
    ((slot_id, seats),) = asgi_pair.services.take_slots(1)
    assert len(seats) >= THROUGHPUT_BUYERS, "the showtime has too few seats"
    plans = [{slot_id: [seat]} for seat in seats[:THROUGHPUT_BUYERS]]
    run = run_crowd(asgi_pair, plans, max_purchases=1)
    figures = figures_of(
        "asgi_throughput_100", run, asgi_pair.database_url, [slot_id], THROUGHPUT_BUYERS
    )
    problems = common_problems(figures, run, asgi_pair.database_url, [slot_id])
    if figures["bookings_confirmed"] != THROUGHPUT_BUYERS:
        problems.append(
            f"{figures['bookings_confirmed']} of {THROUGHPUT_BUYERS} buyers booked "
            "(each had a seat of their own)"
        )
    finish(fault_report, "asgi_throughput_100", figures, problems)
