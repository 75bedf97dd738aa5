"""gunicorn settings of the WSGI backends.

`gunicorn -c deploy/gunicorn.conf.py venue.wsgi:application`.

Command-line flags override these (the load-balancer tests pass `--bind`).
With PROMETHEUS_MULTIPROC_DIR set, every worker writes its metrics there and
/metrics adds them up; the hooks below start the directory empty and retire the
live gauges of workers that exit.
"""

import os
from pathlib import Path

bind = [os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")]  # inside a container
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# A request taking longer than this is killed; nginx gives up after 30 s too.
timeout = 30
# SIGTERM: stop accepting, finish the requests in flight (nginx moves on to the others).
graceful_timeout = 20
# nginx reuses connections to gunicorn and drops idle ones after 1 s
# (deploy/nginx.conf.template): keep them a little longer here so nginx always
# closes first.
keepalive = 2
# Recycle a worker after this many requests (a guard against slow leaks). Each restart
# costs about a second of CPU to import Django again: at 2,000 a busy worker restarted
# every 10-15 s under the benchmarks, so keep it high.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "50000"))
max_requests_jitter = max_requests // 10
# Django logs one access line per request itself (venue.access, with the request id).
accesslog = None
errorlog = "-"
# Worker heartbeats on tmpfs: a container's disk-backed /tmp can stall them.
worker_tmp_dir = "/dev/shm"  # noqa: S108 (heartbeat files, nothing secret)


def on_starting(server):
    """Start from an empty metrics directory: files of a previous run would be summed in."""
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:
        directory = Path(path)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()


def child_exit(server, worker):
    """Drop the live gauges of a worker that exited."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
