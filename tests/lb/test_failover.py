"""Losing a WSGI backend mid-traffic: nginx moves requests to the other one.

nginx retries an idempotent request (GET, HEAD, ...) on the next backend when the
first one errors, times out or answers 502/503, even after sending it. A
non-idempotent one (POST) is retried only when nothing reached the first backend
(connection refused): once sent, it is never replayed; clients retry booking
confirms themselves with the same Idempotency-Key. These tests pin both halves.
"""

import contextlib
import socket
import struct
import threading
import time

import pytest

from tests.support import sites
from tests.support.demo import DEMO_EMAIL, DEMO_PASSWORD
from tests.support.servers import free_port
from tests.support.web import Reply, fetch, wait_for

from . import rig


class GetLoop:
    """GET requests through nginx in a thread, one after another, until stopped."""

    def __init__(self, topology, paths=("/api/v1/", "/healthz")):
        self.topology, self.paths = topology, paths
        self.results: list[tuple[float, int | str, str | None]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        i = 0
        while not self._stop.is_set() and i < 20_000:
            path = self.paths[i % len(self.paths)]
            i += 1
            try:
                reply = self.topology.get(path, timeout=10)
                self.results.append((time.monotonic(), reply.status, reply.served_by))
            except OSError as exc:
                self.results.append((time.monotonic(), repr(exc), None))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=20)
        assert not self._thread.is_alive()

    def wait_for(self, count: int, timeout: float = 20.0):
        deadline = time.monotonic() + timeout
        while len(self.results) < count:
            assert time.monotonic() < deadline, f"only {len(self.results)} requests done"
            time.sleep(0.02)

    def failures(self):
        return [r for r in self.results if r[1] != 200]


def logins(topology, count: int) -> list[Reply]:
    return [topology.login() for _ in range(count)]


def test_graceful_stop_and_restart_of_a_wsgi_backend_loses_no_request(all_backends_up):
    topo = all_backends_up
    survivor, victim = topo.wsgi
    with GetLoop(topo) as loop:
        loop.wait_for(30)
        before = logins(topo, 4)
        victim.graceful_stop()  # SIGTERM: what a rolling deploy does
        assert not victim.running
        during = logins(topo, 4)
        victim.restart()
        restarted_at = time.monotonic()
        topo.wait_balanced()
        back = logins(topo, 4)
        loop.wait_for(len(loop.results) + 20)
    assert loop.failures() == []
    assert all(r.status == 200 for r in [*before, *during, *back])
    assert {r.served_by for r in during} == {survivor.name}
    # Back in rotation: the GET loop reached the restarted backend again.
    assert victim.name in {r[2] for r in loop.results if r[0] > restarted_at}


def test_crash_of_a_wsgi_backend_loses_no_request(all_backends_up):
    topo = all_backends_up
    victim, survivor = topo.wsgi
    with GetLoop(topo) as loop:
        loop.wait_for(30)
        assert {r[2] for r in loop.results} == {victim.name, survivor.name}
        victim.kill()  # SIGKILL master and workers, mid-traffic; returns once the port is dead
        killed_at = time.monotonic()
        assert not victim.running
        after = logins(topo, 6)  # POSTs after the crash: refused connections fail over
        loop.wait_for(len(loop.results) + 40)
    assert loop.failures() == []
    assert [r.status for r in after] == [200] * 6
    assert {r.served_by for r in after} == {survivor.name}
    late = [r for r in loop.results if r[0] > killed_at + 0.5]
    assert late and {r[2] for r in late} == {survivor.name}
    # nginx saw the dead backend fail and moved the request on (logged as "a, b").
    retried = [line for line in topo.access_log_lines() if f"upstream={victim.address}," in line]
    assert retried, "no request was retried on the surviving backend"


# --- A backend that takes the request and drops the connection before answering.


class DroppingBackend:
    """Accept connections, read one request, reset the connection: a crash mid-request."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.methods: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                data = b""
                with contextlib.suppress(OSError):
                    while b"\r\n\r\n" not in data and len(data) < 65536:
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        data += chunk
                if data:
                    self.methods.append(data.split(b" ", 1)[0].decode())
                # SO_LINGER 0: close with RST, as a killed process's socket does.
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


@pytest.fixture
def edge_with_a_dropping_backend(topology):
    """A second nginx from the same template: WEB1 drops requests, WEB2 is a real backend."""
    if not topology.wsgi[1].running:
        topology.wsgi[1].restart()
    with contextlib.ExitStack() as cleanup:
        run_dir = sites.run_dir(cleanup, "venue-lb-edge-", traversable=True)  # nginx workers
        dropper = cleanup.enter_context(DroppingBackend())
        port = free_port()
        values = rig.loopback_nginx_values(
            run_dir,
            port,
            [dropper.port, topology.wsgi[1].port],
            [b.port for b in topology.asgi],
        )
        conf = run_dir / "nginx.conf"
        conf.write_text(rig.render_nginx_conf(values))
        nginx = rig.Nginx(run_dir, conf, port)
        cleanup.callback(nginx.stop)
        nginx.start()
        wait_for(f"http://127.0.0.1:{port}/readyz", timeout=20, process=nginx.popen)
        yield f"http://127.0.0.1:{port}", dropper, topology.wsgi[1].name


def test_get_is_retried_on_the_next_backend_after_a_dropped_connection(
    edge_with_a_dropping_backend,
):
    base_url, dropper, good = edge_with_a_dropping_backend
    dropper.methods.clear()
    replies = []
    for _ in range(6):
        replies.append(fetch(f"{base_url}/api/v1/", timeout=10))
        if dropper.methods:
            break
    assert dropper.methods == ["GET"], "the dropping backend got no request"
    assert [r.status for r in replies] == [200] * len(replies)
    assert {r.served_by for r in replies} == {good}


def test_post_is_not_replayed_after_a_dropped_connection(edge_with_a_dropping_backend):
    base_url, dropper, good = edge_with_a_dropping_backend
    dropper.methods.clear()
    body = {"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
    replies = []
    for _ in range(6):
        replies.append(fetch(f"{base_url}/api/v1/auth/login/", "POST", json_body=body))
        if dropper.methods:
            break
    assert dropper.methods == ["POST"], "the dropping backend got no request"
    dropped = replies[-1]
    # Not sent on to the healthy backend: nginx answers with the API error shape instead.
    assert dropped.status == 503
    assert dropped.served_by is None
    error = dropped.json()["error"]
    assert error["code"] == "service_unavailable"
    assert error["request_id"] == dropped.headers["X-Request-ID"]
    assert dropped.headers["Retry-After"] == "5"
    assert all(r.status == 200 and r.served_by == good for r in replies[:-1])
