"""Faults during a live sale on gunicorn + Celery: Redis, PostgreSQL, a worker, Celery.

Each test sells seats of its own showtimes with 10 buyers (threads, own HTTP
connections, repeating failed requests with the same Idempotency-Key), breaks one
thing mid-sale, repairs it, and then checks through SQL that no seat is sold twice,
that every 201 is a confirmed booking, that every charge is booked or refunded
within 30 s of the recovery, that no request was answered 500 (503 with Retry-After
is allowed while the fault lasts), that the service answers normally within a few
seconds, and that a hold made before the fault still expires on time.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from . import checks, timing
from .buyers import now
from .scenario import run_fault

AIM_SECONDS = 5.0  # longest wait for the worst moment to strike
DOWN_SECONDS = {"redis": 3.0, "postgres": 3.5, "celery": 4.0}


def gunicorn_workers(master_pid: int) -> list[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    try:
        return [int(pid) for pid in children.read_text().split()]
    except OSError:
        return []


def test_redis_killed_and_back(healthy_wsgi, fault_report):
    redis = healthy_wsgi.services.redis

    def inject(info):
        redis.kill()  # SIGKILL: cache, broker queue and channel layer gone at once
        try:
            time.sleep(DOWN_SECONDS["redis"])
        finally:
            redis.start()  # same port, empty
        redis.wait_ready()
        info["redis_down_s"] = DOWN_SECONDS["redis"]
        return now()

    run_fault(healthy_wsgi, fault_report, "redis_sigkill", inject)


def test_postgres_restarted(healthy_wsgi, fault_report):
    postgres = healthy_wsgi.services.postgres

    def inject(info):
        # Aim: stop while some confirm is between its charge and its booking.
        hit = timing.wait_past_charge(healthy_wsgi.database_url, timeout=AIM_SECONDS)
        info["aimed_at"] = list(hit[1:3]) if hit else None
        stopped_at = now()
        postgres.shutdown("fast")  # pg_ctl stop -m fast: every session is cut off
        try:
            time.sleep(DOWN_SECONDS["postgres"])
        finally:
            postgres.start()
        postgres.wait_ready()
        info["postgres_down_s"] = round(now() - stopped_at, 2)
        return now()

    run_fault(healthy_wsgi, fault_report, "postgres_restart", inject)


def test_gunicorn_worker_killed(healthy_wsgi, fault_report):
    master = healthy_wsgi.processes["gunicorn"]

    def inject(info):
        before = gunicorn_workers(master.pid)
        assert len(before) == 2, f"gunicorn workers before the kill: {before}"
        # Aim: the worker serving a confirm that is between its charge and its booking
        # (its pooled database connections are mapped to it through /proc).
        hit = timing.wait_past_charge(
            healthy_wsgi.database_url,
            timeout=AIM_SECONDS,
            owners=lambda: timing.database_ports(before, healthy_wsgi.services.postgres.port),
        )
        victim = hit[3] if hit else before[0]
        info["aimed_at"] = list(hit[1:3]) if hit else None
        os.kill(victim, signal.SIGKILL)  # the child, mid-request; the master stays
        killed = now()
        info["killed_worker_pid"] = victim
        deadline = killed + 30
        while now() < deadline:
            current = gunicorn_workers(master.pid)
            if len(current) == 2 and victim not in current:
                info["worker_respawned_after_s"] = round(now() - killed, 2)
                break
            time.sleep(0.05)
        else:
            info["worker_respawned_after_s"] = None
        return killed  # the other worker keeps serving: the fault "ends" at once

    def respawned(figures):
        if figures.get("worker_respawned_after_s") is None:
            return ["gunicorn did not replace the killed worker within 30s"]
        return []

    run_fault(
        healthy_wsgi, fault_report, "gunicorn_worker_sigkill", inject, more_problems=respawned
    )


def test_celery_worker_killed_with_refunds_queued(healthy_wsgi, fault_report):
    """Buyers book and cancel (each cancel queues a refund); the worker dies mid-stream."""
    worker = healthy_wsgi.processes["celery"]
    database_url = healthy_wsgi.database_url

    def inject(info):
        slots = info["slots"]
        # Aim: while the worker holds refund tasks it has not acknowledged yet.
        info["refunds_reserved_at_kill"] = timing.wait_refunds_reserved(
            healthy_wsgi.services.redis.port, timeout=AIM_SECONDS
        )
        worker.kill_group()  # SIGKILL the group: main process, pool children and beat
        info["refund_pending_at_kill"] = checks.refund_pending(database_url, slots)
        try:
            time.sleep(DOWN_SECONDS["celery"])
            info["refund_pending_before_restart"] = checks.refund_pending(database_url, slots)
        finally:
            worker.start()
        worker.wait_ready()
        return now()

    run_fault(healthy_wsgi, fault_report, "celery_sigkill", inject, cancel=True)
