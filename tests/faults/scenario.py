"""One fault under a live sale: buyers buy, the fault strikes, everything is measured.

`run_fault` starts a prober and the buyers, lets the sale warm up, holds one seat
for a probe user (it must expire on time whatever happens), injects the fault,
lets the sale go on a little after the recovery, then stops taking new purchases
and waits (bounded) for the clients' final answers and for the money to settle.
It records every figure in the report before it fails on any broken promise.
"""

from __future__ import annotations

import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable

import pytest

from tests.support.servers import ROOT

from . import checks
from .buyers import Buyer, Deadline, Prober, Purchase, Tally, error_code, now, run_buyers
from .harness import HOLD_SECONDS, FaultReport, ScenarioLogs, Stack

FINAL_WITHIN = 30.0  # s after the recovery: every client has its final answer, all money settled
NORMAL_WITHIN = 5.0  # s after the recovery: the service answers normally again
WARMUP = 3.0  # s of sale before the fault
AFTER = 4.0  # s of sale after the recovery


def _probe_hold(client, slot_id: int, seat_id: int):
    """A probe user holds one seat (repeated for up to 10 s); the final or last reply."""
    reply, _, _ = client.call(
        "probe-hold",
        "POST",
        "/api/v1/bookings/hold-seats/",
        body={"slot": slot_id, "seats": [seat_id]},
        until=now() + 10,
    )
    return reply


def _hold_probe(stack: Stack, tally: Tally, slot_id: int, seat_id: int) -> dict:
    reply = _probe_hold(stack.client(stack.services.probes[1], tally), slot_id, seat_id)
    assert reply is not None and reply.status == 201, f"probe hold refused: {reply and reply.body}"
    return {"id": reply.json()["id"], "made": now(), "expires_at": reply.json()["expires_at"]}


def _check_probe_expired(stack: Stack, tally: Tally, slot_id: int, seat_id: int, hold: dict):
    """After its lifetime the probe's seat is free again: in the seat map, and for a new hold."""
    wait = hold["made"] + HOLD_SECONDS + 1.0 - now()
    if wait > 0:
        time.sleep(wait)
    other = stack.client(stack.services.probes[2], tally)
    seatmap, _, _ = other.call("seats", "GET", f"/api/v1/slots/{slot_id}/seats/", until=now() + 10)
    status = None
    if seatmap is not None and seatmap.status == 200:
        status = next((s["status"] for s in seatmap.json()["seats"] if s["id"] == seat_id), None)
    again = _probe_hold(other, slot_id, seat_id)
    if again is not None and again.status == 201:
        other.call(
            "probe-release", "DELETE", f"/api/v1/holds/{again.json()['id']}/", until=now() + 5
        )
    with checks.connect(stack.database_url) as conn:
        swept = not conn.execute(
            "SELECT 1 FROM bookings_hold WHERE id = %s", [hold["id"]]
        ).fetchone()
    return {
        "seat_status_after_expiry": status,
        "hold_again_status": again.status if again is not None else None,
        "hold_again_code": error_code(again) if again is not None else None,
        "swept_by_beat": swept,
    }


def summarize_purchases(purchases: list[Purchase]) -> dict:
    confirms = Counter(
        f"{p.confirm_status} {p.confirm_code or ''}".strip()
        for p in purchases
        if p.hold_id is not None
    )
    holds = Counter(f"{p.hold_status} {p.hold_code or ''}".strip() for p in purchases)
    return {
        "purchases": len(purchases),
        "holds_final": dict(holds),
        "confirms_final": dict(confirms),
        "bookings_confirmed": sum(1 for p in purchases if p.booked),
        "bookings_cancelled_by_clients": sum(1 for p in purchases if p.cancelled),
        "seats_booked": sum(len(p.booking_seats) for p in purchases if p.booked),
        "confirm_repeats_max": max((p.confirm_attempts for p in purchases), default=0),
        "confirms_repeated": sum(1 for p in purchases if p.confirm_attempts > 1),
        "confirm_longest_s": round(
            max(
                (p.confirm_ended - p.confirm_started for p in purchases if p.confirm_ended),
                default=0.0,
            ),
            2,
        ),
        "unfinished": [
            f"{p.buyer} slot {p.slot} key {p.key or '-'}: {p.unfinished}"
            for p in purchases
            if p.unfinished
        ],
    }


def status_problems(tally: Tally) -> list[str]:
    """No 500 at all (of any endpoint, /readyz included), no other 5xx than 503, and every
    API 503 says when to try again."""
    problems = []
    with tally.lock:
        statuses = dict(tally.statuses)
        where = {
            name.rsplit(" ", 1)[0]: n
            for name, n in tally.by_endpoint.items()
            if name.endswith(" 500")
        }
    if statuses.get(500):
        problems.append(f"{statuses[500]} answers of 500 (by endpoint: {where})")
    others = {s: n for s, n in statuses.items() if isinstance(s, int) and s > 500 and s != 503}
    if others:
        problems.append(f"5xx answers other than 503: {others}")
    if tally.missing_retry_after:
        problems.append(f"{tally.missing_retry_after} API answers of 503 without Retry-After")
    return problems


def conclude(
    report: FaultReport, name: str, figures: dict, problems: list[str], logs: ScenarioLogs
) -> None:
    """Record the figures with their verdict, keep the scenario's logs, and fail with
    every problem and the evidence (5xx bodies and request ids, the servers' log lines)."""
    figures["problems"] = problems
    figures["verdict"] = "ok" if not problems else f"{len(problems)} problem(s)"
    figures["logs"] = str(logs.save().relative_to(ROOT))
    report.record(name, figures)
    if problems:
        evidence = logs.evidence(figures.get("samples_5xx", []))
        pytest.fail(f"{name}: " + "\n".join(problems) + "\n\n" + evidence, pytrace=False)


def run_fault(
    stack: Stack,
    report: FaultReport,
    name: str,
    inject: Callable[[dict], float],
    *,
    buyers: int = 10,
    slots: int = 2,
    cancel: bool = False,
    think: tuple[float, float] = (0.4, 0.9),
    more_problems: Callable[[dict], list[str]] | None = None,
) -> dict:
    """Sell, call `inject(info)` (it breaks something, repairs it and returns the monotonic
    time of the recovery, noting what it did in `info`), then check and record everything
    (`more_problems(figures)` adds the fault's own checks) and fail on any problem."""
    logs = stack.scenario_logs(name)
    taken = stack.services.take_slots(slots)
    slot_ids = [slot_id for slot_id, _ in taken]
    probe_slot, probe_seats = taken[0]
    probe_seat = probe_seats[-1]
    pool = {slot_id: seats for slot_id, seats in taken}
    pool[probe_slot] = probe_seats[:-1]

    tally = Tally()
    stop = threading.Event()
    deadline = Deadline(now() + 240)  # moved to recovery + FINAL_WITHIN once that is known
    prober = Prober(stack.client(stack.services.probes[0], tally), tally)
    crowd = [
        Buyer(
            stack.client(email, tally, i),
            dict(pool),
            stop=stop,
            deadline=deadline,
            seed=zlib.crc32(f"{name}-{i}".encode()),
            cancel=cancel,
            think=think,
        )
        for i, email in enumerate(stack.services.buyers[:buyers])
    ]
    info: dict = {"slots": slot_ids}
    started = now()
    prober.start()
    try:
        for buyer in crowd:
            buyer.start()
        time.sleep(WARMUP)
        probe_hold = _hold_probe(stack, tally, probe_slot, probe_seat)
        info["booked_before_fault"] = sum(1 for b in crowd for p in b.purchases if p.booked)
        fault_at = now()
        recovered = inject(info)
        info["fault_to_recovery_s"] = round(recovered - fault_at, 2)
        deadline.at = recovered + FINAL_WITHIN + 2
        time.sleep(max(recovered + AFTER - now(), 0))
        stop.set()

        keys: list[str] = []
        settled: dict = {}

        def settle():
            # Keys of confirms still running are added as the buyers finish; poll the DB.
            settled["s"], settled["left"] = checks.wait_settled(
                stack.database_url,
                slot_ids,
                keys,
                until=recovered + FINAL_WITHIN + 2,
                origin=recovered,
            )

        thread_problems = run_buyers(crowd, timeout=max(deadline.at - now(), 0) + 20)
        purchases = [p for b in crowd for p in b.purchases]
        keys.extend(p.key for p in purchases if p.key)
        poller = threading.Thread(target=settle, daemon=True)
        poller.start()
        poller.join(timeout=FINAL_WITHIN + 30)
        expiry = _check_probe_expired(stack, tally, probe_slot, probe_seat, probe_hold)
    finally:
        stop.set()
        prober.halt()

    figures = {
        "fault": name,
        "buyers": buyers,
        "slots": slot_ids,
        "sale_seconds": round(now() - started, 1),
        **info,
        **summarize_purchases(purchases),
        **tally.figures(recovered),
        "normal_again_s": prober.normal_again_after(recovered),
        "clients_final_s": None,
        "charges_settled_s": settled.get("s"),
        "unsettled_at_deadline": settled.get("left"),
        "hold_expiry": expiry,
        **checks.payment_figures(stack.database_url, slot_ids),
    }
    finals = [p.finished for p in purchases]
    if finals and all(t is not None for t in finals):
        figures["clients_final_s"] = round(max(max(finals) - recovered, 0.0), 2)

    problems = list(thread_problems)
    problems += status_problems(tally)
    if figures["normal_again_s"] is None or figures["normal_again_s"] > NORMAL_WITHIN:
        problems.append(
            f"service not answering normally within {NORMAL_WITHIN}s of the recovery "
            f"(after {figures['normal_again_s']}s)"
        )
    if figures["unfinished"]:
        problems.append(
            f"{len(figures['unfinished'])} requests without a final answer "
            f"{FINAL_WITHIN}s after the recovery: {figures['unfinished'][:3]}"
        )
    elif figures["clients_final_s"] is not None and figures["clients_final_s"] > FINAL_WITHIN:
        problems.append(f"last client final answer {figures['clients_final_s']}s after recovery")
    if figures["charges_settled_s"] is None or figures["charges_settled_s"] > FINAL_WITHIN:
        problems.append(
            f"money not settled within {FINAL_WITHIN}s of the recovery: {settled.get('left')}"
        )
    if expiry["seat_status_after_expiry"] != "available" or expiry["hold_again_status"] != 201:
        problems.append(f"an expired hold's seat is not free again: {expiry}")
    if figures["bookings_confirmed"] == 0:
        problems.append("nobody booked anything")
    problems += checks.invariants(stack.database_url, slot_ids, purchases)
    if more_problems is not None:
        problems += more_problems(figures)
    conclude(report, name, figures, problems, logs)
    return figures
