import pytest
from channels.testing import WebsocketCommunicator
from django.test import Client, override_settings
from prometheus_client import REGISTRY

from apps.core import metrics
from venue.asgi import application

BOOKING_COUNTERS = (
    "bookings_confirmed_total",
    "holds_created_total",
    "holds_conflicts_total",
    "holds_expired_total",
)


def scrape(client: Client, **extra):
    return client.get("/metrics", **extra)


@pytest.mark.django_db
def test_metrics_answer_loopback_with_the_booking_counters():
    response = scrape(Client(REMOTE_ADDR="127.0.0.1"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    for name in BOOKING_COUNTERS:
        assert f"\n{name} " in body, name
    # django-prometheus request metrics are there too.
    assert "django_http_requests_before_middlewares_total" in body


@pytest.mark.django_db
@pytest.mark.parametrize("address", ["203.0.113.9", "10.1.2.3", "not-an-address"])
def test_metrics_are_404_for_everyone_else(address):
    response = scrape(Client(REMOTE_ADDR=address))
    assert response.status_code == 404
    assert b"bookings_confirmed_total" not in response.content


@pytest.mark.django_db
@override_settings(VENUE_METRICS_ALLOWED_IPS=["10.0.0.0/8", "fd00::/8"])
def test_metrics_follow_the_allowed_networks_setting():
    assert scrape(Client(REMOTE_ADDR="10.1.2.3")).status_code == 200
    assert scrape(Client(REMOTE_ADDR="fd00::5")).status_code == 200
    assert scrape(Client(REMOTE_ADDR="127.0.0.1")).status_code == 404


@pytest.mark.django_db
@override_settings(VENUE_CLIENT_IP_HEADER="HTTP_X_REAL_IP")
def test_metrics_judge_the_client_behind_the_proxy():
    proxied_public = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="198.51.100.7")
    assert scrape(proxied_public).status_code == 404


@pytest.mark.django_db
@override_settings(VENUE_METRICS_TOKEN="s3cret-scrape-token")
def test_metrics_accept_the_bearer_token_from_anywhere():
    public = Client(REMOTE_ADDR="203.0.113.9")
    assert scrape(public, HTTP_AUTHORIZATION="Bearer s3cret-scrape-token").status_code == 200
    assert scrape(public, HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    assert scrape(public, HTTP_AUTHORIZATION="Basic s3cret-scrape-token").status_code == 404
    assert scrape(public).status_code == 404


@pytest.mark.django_db
def test_metrics_aggregate_worker_files_in_multiprocess_mode(tmp_path, monkeypatch):
    from prometheus_client import CollectorRegistry, Counter, generate_latest, values

    # Write one sample the way a gunicorn worker would, into files under tmp_path.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    monkeypatch.setattr(values, "ValueClass", values.MultiProcessValue(lambda: 4242))
    Counter("lb_probe", "probe", registry=CollectorRegistry()).inc(3)
    assert list(tmp_path.glob("counter_4242.db"))

    assert "lb_probe_total 3.0" in generate_latest(metrics.registry()).decode()
    response = scrape(Client(REMOTE_ADDR="127.0.0.1"))
    assert response.status_code == 200
    assert b"lb_probe_total 3.0" in response.content


def open_sockets() -> float:
    return REGISTRY.get_sample_value("websocket_connections_open", {"consumer": "health"}) or 0.0


def accepted_sockets() -> float:
    return REGISTRY.get_sample_value("websocket_connections_total", {"consumer": "health"}) or 0.0


async def test_health_socket_is_counted_while_open():
    before_open, before_total = open_sockets(), accepted_sockets()
    communicator = WebsocketCommunicator(
        application, "/ws/health/", headers=[(b"origin", b"http://localhost")]
    )
    connected, _ = await communicator.connect()
    assert connected
    assert open_sockets() == before_open + 1
    assert accepted_sockets() == before_total + 1
    await communicator.disconnect()
    assert open_sockets() == before_open
    assert accepted_sockets() == before_total + 1


async def test_refused_socket_is_not_counted():
    before_open, before_total = open_sockets(), accepted_sockets()
    communicator = WebsocketCommunicator(
        application, "/ws/health/", headers=[(b"origin", b"https://evil.example")]
    )
    connected, _ = await communicator.connect()
    assert not connected
    assert (open_sockets(), accepted_sockets()) == (before_open, before_total)


@pytest.mark.django_db
@override_settings(VENUE_SERVED_BY="wsgi-7")
def test_served_by_header_names_the_process_when_configured():
    import os

    response = Client().get("/healthz")
    assert response["X-Served-By"] == f"wsgi-7/{os.getpid()}"


@pytest.mark.django_db
def test_no_served_by_header_by_default():
    assert "X-Served-By" not in Client().get("/healthz")
