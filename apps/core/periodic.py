"""Run Celery beat's schedule inside the web process when there is no broker.

The embedded default (`make run` without REDIS_URL) runs tasks eagerly and has
no beat, so periodic work (expiring holds, reconciling payments, ...) would
never happen. `start_embedded_beat` runs the same schedule from a daemon thread
of the ASGI process instead. With a broker, `celery -A venue worker -B` does it.
"""

import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)


def _interval(entry: dict) -> float:
    schedule = entry["schedule"]
    return schedule.total_seconds() if hasattr(schedule, "total_seconds") else float(schedule)


def run_due(schedule: dict, next_runs: dict[str, float], now: float) -> list[str]:
    """Run every entry whose time has come; return their names and plan their next runs."""
    from venue.celery import app

    ran = []
    for name, entry in schedule.items():
        if next_runs.setdefault(name, now) > now:
            continue
        next_runs[name] = now + _interval(entry)
        try:
            app.tasks[entry["task"]].apply(args=entry.get("args", ()))
            ran.append(name)
        except Exception:
            logger.exception("Embedded periodic task failed", extra={"task": entry["task"]})
        finally:
            close_old_connections()
    return ran


def _loop(schedule: dict, stop: threading.Event) -> None:
    next_runs: dict[str, float] = {}
    while not stop.is_set():
        run_due(schedule, next_runs, time.monotonic())
        wait = min(next_runs.values(), default=time.monotonic() + 1) - time.monotonic()
        stop.wait(max(wait, 0.5))


def start_embedded_beat() -> threading.Event | None:
    """Start the in-process beat when tasks run eagerly; return the event that stops it."""
    if not (settings.CELERY_TASK_ALWAYS_EAGER and settings.VENUE_EMBEDDED_BEAT):
        return None
    stop = threading.Event()
    thread = threading.Thread(
        target=_loop, args=(settings.CELERY_BEAT_SCHEDULE, stop), daemon=True, name="venue-beat"
    )
    thread.start()
    logger.info("Embedded beat started", extra={"tasks": sorted(settings.CELERY_BEAT_SCHEDULE)})
    return stop
