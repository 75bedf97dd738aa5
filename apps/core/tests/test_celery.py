import io
import json
import logging
import time

import pytest
from celery import shared_task
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from apps.core.context import current_request_id, request_id_var
from apps.core.logging import ContextFilter, JsonFormatter
from venue.celery import app

seen: list[str | None] = []
task_log = logging.getLogger("venue.test.task")


@shared_task(name="core.tests.remember_request_id")
def remember_request_id():
    seen.append(current_request_id())
    task_log.info("task ran")


def test_eager_task_runs_with_the_request_id_of_its_caller():
    seen.clear()
    token = request_id_var.set("eager-task-0001")
    try:
        remember_request_id.delay()
    finally:
        request_id_var.reset(token)
    assert seen == ["eager-task-0001"]


@pytest.mark.redis
def test_worker_task_carries_the_request_id_into_its_log_lines():
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL: a real broker and worker")
    saved = {"task_always_eager": app.conf.task_always_eager, "broker_url": app.conf.broker_url}
    app.conf.update(task_always_eager=False, broker_url=settings.REDIS_URL)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    task_log.addHandler(handler)
    seen.clear()
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=10):
            token = request_id_var.set("worker-task-0001")
            try:
                remember_request_id.delay()
            finally:
                request_id_var.reset(token)
            # The worker runs in a thread of this process and shares `seen`.
            deadline = time.monotonic() + 20
            while not seen and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        task_log.removeHandler(handler)
        app.conf.update(saved)
    assert seen == ["worker-task-0001"]
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines and lines[-1]["request_id"] == "worker-task-0001"
