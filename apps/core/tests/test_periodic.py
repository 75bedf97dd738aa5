import threading

import pytest
from celery import shared_task
from django.test import override_settings

from apps.core import periodic

calls: list[str] = []


@shared_task(name="core.tests.tick")
def tick(label="tick"):
    calls.append(label)


@shared_task(name="core.tests.broken")
def broken():
    raise RuntimeError("boom")


SCHEDULE = {
    "tick": {"task": "core.tests.tick", "schedule": 10.0},
    "slow": {"task": "core.tests.tick", "schedule": 60.0, "args": ("slow",)},
    "broken": {"task": "core.tests.broken", "schedule": 5.0},
}


@pytest.mark.django_db
def test_run_due_runs_each_entry_on_its_interval(caplog):
    calls.clear()
    next_runs = {}
    assert periodic.run_due(SCHEDULE, next_runs, now=1000.0) == ["tick", "slow"]
    assert periodic.run_due(SCHEDULE, next_runs, now=1005.0) == []
    assert periodic.run_due(SCHEDULE, next_runs, now=1010.0) == ["tick"]
    assert periodic.run_due(SCHEDULE, next_runs, now=1060.0) == ["tick", "slow"]
    assert calls == ["tick", "slow", "tick", "tick", "slow"]
    assert any("Embedded periodic task failed" in r.getMessage() for r in caplog.records)


@pytest.mark.django_db(transaction=True)
def test_embedded_beat_runs_in_a_thread_and_stops():
    calls.clear()
    with override_settings(
        VENUE_EMBEDDED_BEAT=True, CELERY_BEAT_SCHEDULE={"tick": SCHEDULE["tick"]}
    ):
        stop = periodic.start_embedded_beat()
    assert isinstance(stop, threading.Event)
    try:
        for _ in range(100):
            if calls:
                break
            threading.Event().wait(0.05)
        assert calls == ["tick"]
    finally:
        stop.set()


def test_no_embedded_beat_with_a_broker_or_when_off():
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False, VENUE_EMBEDDED_BEAT=True):
        assert periodic.start_embedded_beat() is None
    with override_settings(VENUE_EMBEDDED_BEAT=False):
        assert periodic.start_embedded_beat() is None
