"""nginx in front of two WSGI and two ASGI backends: routing, headers, sessions, metrics."""

import re
from collections import Counter

import pytest
from websockets.sync.client import connect

from tests.support.demo import DEMO_EMAIL
from tests.support.servers import Backend
from tests.support.web import fetch


def test_requests_are_spread_over_both_wsgi_backends(all_backends_up):
    served = Counter(all_backends_up.get("/api/v1/").served_by for _ in range(20))
    assert set(served) == {"wsgi-0", "wsgi-1"}, served
    # Round robin: neither backend is starved.
    assert min(served.values()) >= 5, served


def test_http_never_reaches_the_asgi_backends(all_backends_up):
    labels = {all_backends_up.get("/healthz").served_by for _ in range(8)}
    assert labels <= {"wsgi-0", "wsgi-1"}


def test_a_client_request_id_comes_back_and_reaches_the_app(topology):
    reply = topology.get("/api/v1/nope/", headers={"X-Request-ID": "lb-trace-0000001"})
    assert reply.status == 404
    assert reply.headers.get_all("X-Request-ID") == ["lb-trace-0000001"]
    # The app's error body names the same id: the backend saw it.
    assert reply.json()["error"]["request_id"] == "lb-trace-0000001"
    [line] = topology.access_log_lines_with("request_id=lb-trace-0000001")
    assert " 404 " in line


@pytest.mark.parametrize("sent", [None, "bad id with spaces", "x" * 200])
def test_nginx_makes_the_request_id_when_the_client_has_no_sane_one(topology, sent):
    headers = {"X-Request-ID": sent} if sent else {}
    reply = topology.get("/api/v1/nope/", headers=headers)
    request_id = reply.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id), request_id  # nginx's $request_id
    assert reply.json()["error"]["request_id"] == request_id
    [line] = topology.access_log_lines_with(f"request_id={request_id}")
    assert "GET /api/v1/nope/" in line


def test_forwarded_host_and_proto_reach_the_app(topology):
    plain = topology.get("/api/v1/").json()
    assert plain["schema"] == f"{topology.base_url}/api/schema/"
    # TLS ended in front of nginx: the app builds https links (SECURE_PROXY_SSL_HEADER).
    behind_tls = topology.get("/api/v1/", headers={"X-Forwarded-Proto": "https"}).json()
    assert behind_tls["schema"] == topology.base_url.replace("http:", "https:") + "/api/schema/"


def test_static_files_are_served_through_nginx(topology):
    reply = topology.get("/static/css/site.css")
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/css")
    assert reply.body


def test_login_on_one_backend_is_honoured_by_the_other(all_backends_up):
    login = all_backends_up.login()
    assert login.status == 200, login.body
    first = login.served_by
    cookies = {"venue_access": login.cookies["venue_access"]}
    others = []
    for _ in range(10):
        me = all_backends_up.get("/api/v1/auth/me/", cookies=cookies)
        assert me.status == 200, me.body
        assert me.json()["email"] == DEMO_EMAIL
        if me.served_by != first:
            others.append(me.served_by)
            break
    assert first in {"wsgi-0", "wsgi-1"}
    assert others and others[0] in {"wsgi-0", "wsgi-1"} - {first}


def test_anonymous_me_is_refused_through_nginx(topology):
    assert topology.get("/api/v1/auth/me/").status in {401, 403}


def _open_sockets(backend: Backend) -> float:
    text = fetch(f"{backend.url}/metrics", timeout=5).body.decode()
    match = re.search(r'^websocket_connections_open\{consumer="health"\} (\S+)$', text, re.M)
    return float(match.group(1)) if match else 0.0


def test_websocket_through_nginx_answers_pong_on_both_asgi_backends(all_backends_up):
    topo = all_backends_up
    origin = topo.base_url
    url = f"{topo.ws_url}/ws/health/"
    before = sum(_open_sockets(b) for b in topo.asgi)
    with (
        connect(url, origin=origin, open_timeout=5, close_timeout=2) as first,
        connect(url, origin=origin, open_timeout=5, close_timeout=2) as second,
    ):
        for ws in (first, second):
            ws.send("ping")
            assert ws.recv(timeout=5) == "pong"
        # Each ASGI process counts its own sockets; the two together hold both.
        assert sum(_open_sockets(b) for b in topo.asgi) == before + 2
        # least_conn: two sockets open at once land on the two ASGI backends.
        assert all(_open_sockets(b) >= 1 for b in topo.asgi)
    ws_lines = topo.access_log_lines_with("GET /ws/health/", count=2)
    upstreams = {re.search(r"upstream=(\S+)", line).group(1) for line in ws_lines}
    assert {b.address for b in topo.asgi} <= upstreams
    assert all(" 101 " in line for line in ws_lines)


def test_websocket_from_a_foreign_origin_is_refused(topology):
    with pytest.raises(Exception, match="403"):
        connect(f"{topology.ws_url}/ws/health/", origin="https://evil.example", open_timeout=5)


def test_metrics_are_not_served_by_the_edge(topology):
    reply = topology.get("/metrics")
    assert reply.status == 404
    assert b"bookings_confirmed_total" not in reply.body


def test_each_backend_serves_metrics_to_loopback_scrapers(topology):
    for backend in topology.wsgi:
        for _ in range(3):
            fetch(f"{backend.url}/healthz", timeout=5)
        reply = fetch(f"{backend.url}/metrics", timeout=5)
        assert reply.status == 200
        text = reply.body.decode()
        # Other tests of this session book through the rig, so only the form is fixed.
        names = ("bookings_confirmed", "holds_created", "holds_conflicts", "holds_expired")
        for name in names:
            assert re.search(rf"^{name}_total \d+\.0$", text, re.M), name
        # Both gunicorn workers write to the multiprocess directory; /metrics sums them.
        total = sum(
            float(m.group(1))
            for m in re.finditer(
                r'^django_http_responses_total_by_status_total\{status="200"\} (\S+)$', text, re.M
            )
        )
        assert total >= 3


def test_metrics_judge_the_forwarded_client_address(topology):
    # Behind nginx the backends trust X-Real-IP (VENUE_CLIENT_IP_HEADER): a public
    # client address is refused even though the TCP peer is loopback.
    backend = topology.wsgi[0]
    reply = fetch(f"{backend.url}/metrics", headers={"X-Real-IP": "203.0.113.7"}, timeout=5)
    assert reply.status == 404
