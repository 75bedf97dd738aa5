import pytest
from django.test import override_settings

from apps.accounts import lockout
from conftest import PASSWORD

pytestmark = pytest.mark.django_db

REDIS_DOWN = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
    }
}


@pytest.fixture
def clock(monkeypatch):
    """A controllable clock for the lockout: advance it instead of sleeping."""
    now = [1_800_000_000.0]
    monkeypatch.setattr(lockout, "clock", lambda: now[0])
    return now


def login(client, email, password):
    return client.post("/api/v1/auth/login/", {"email": email, "password": password})


def fail_five_times(client, email):
    statuses = [login(client, email, "wrong-password").status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 401, 429]


def test_five_failures_lock_the_account_even_for_the_right_password(
    api_client, customer, clock, caplog
):
    fail_five_times(api_client, customer.email)
    response = login(api_client, customer.email, PASSWORD)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "account_locked"
    assert int(response["Retry-After"]) == 900
    assert any(getattr(r, "event", "") == "account_locked" for r in caplog.records)

    clock[0] += 600
    response = login(api_client, customer.email, PASSWORD)
    assert response.status_code == 429
    assert int(response["Retry-After"]) == 300

    clock[0] += 301
    assert login(api_client, customer.email, PASSWORD).status_code == 200


def test_failures_outside_the_window_do_not_add_up(api_client, customer, clock):
    for _ in range(4):
        assert login(api_client, customer.email, "wrong").status_code == 401
    clock[0] += 901
    for _ in range(4):
        assert login(api_client, customer.email, "wrong").status_code == 401
    assert login(api_client, customer.email, PASSWORD).status_code == 200


def test_a_success_resets_the_failure_count(api_client, customer, clock):
    for _ in range(4):
        login(api_client, customer.email, "wrong")
    assert login(api_client, customer.email, PASSWORD).status_code == 200
    for _ in range(4):
        assert login(api_client, customer.email, "wrong").status_code == 401


def test_unknown_accounts_lock_too_so_lockout_reveals_nothing(api_client, clock):
    fail_five_times(api_client, "nobody@example.org")


def test_lockout_applies_to_the_token_endpoint(api_client, customer, clock):
    fail_five_times(api_client, customer.email)
    response = api_client.post(
        "/api/v1/auth/token/", {"email": customer.email, "password": PASSWORD}
    )
    assert response.status_code == 429


@override_settings(CACHES=REDIS_DOWN)
def test_lockout_survives_redis_being_down(api_client, customer, clock):
    fail_five_times(api_client, customer.email)
    assert login(api_client, customer.email, PASSWORD).status_code == 429
    lockout._local_cache.clear()


@override_settings(VENUE_RATE_LIMITS=False)
def test_lockout_is_off_when_rate_limits_are_off(api_client, customer, clock):
    for _ in range(6):
        assert login(api_client, customer.email, "wrong").status_code == 401
    assert login(api_client, customer.email, PASSWORD).status_code == 200


@override_settings(VENUE_CLIENT_IP_HEADER="HTTP_X_REAL_IP")
def test_login_records_the_client_address_behind_the_proxy(api_client, customer, caplog):
    """The audit log and the lockout see the client's address as the rate limits do
    (the proxy's header), not the proxy's REMOTE_ADDR."""
    api_client.post(
        "/api/v1/auth/login/",
        {"email": customer.email, "password": "wrong-password"},
        HTTP_X_REAL_IP="203.0.113.7",
        REMOTE_ADDR="10.0.0.2",
    )
    failed = [r for r in caplog.records if getattr(r, "event", "") == "login_failed"]
    assert [r.ip for r in failed] == ["203.0.113.7"]
