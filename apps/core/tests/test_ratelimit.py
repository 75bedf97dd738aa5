import pytest
from django.test import override_settings

from apps.core.ratelimit import LocalCounter, parse_rate
from tests.support.ratelimit import assert_throttled, frozen_clock, tiers  # noqa: F401

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.urls("apps.core.tests.urls"),
    pytest.mark.usefixtures("frozen_clock"),
]

REDIS_DOWN = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
    }
}


def test_parse_rate():
    assert parse_rate("10/m") == (10, 60)
    assert parse_rate("5/15m") == (5, 900)
    assert parse_rate("100/60s") == (100, 60)
    assert parse_rate("1/d") == (1, 86400)


def test_local_counter_counts_per_window():
    counter = LocalCounter()
    assert [counter.hit("t", "k", "2/m").exceeded for _ in range(3)] == [False, False, True]
    assert not counter.hit("t", "other", "2/m").exceeded


@tiers(**{"global": "3/m"})
def test_tier_1_global_shield_per_ip(api_client):
    for _ in range(3):
        assert api_client.get("/api/v1/").status_code == 200
    assert_throttled(api_client.get("/api/v1/"))
    # Another address is not affected.
    assert api_client.get("/api/v1/", REMOTE_ADDR="10.9.8.7").status_code == 200


@tiers(login_ip="3/m")
def test_tier_2_login_attempts_per_ip(api_client):
    for i in range(3):
        response = api_client.post(
            "/api/v1/auth/login/", {"email": f"u{i}@example.org", "password": "wrong"}
        )
        assert response.status_code == 401
    assert_throttled(
        api_client.post("/api/v1/auth/login/", {"email": "u9@example.org", "password": "x"})
    )


@tiers(catalog="2/m")
def test_tier_3_catalog_reads_per_ip(api_client):
    for _ in range(2):
        assert api_client.get("/api/test/catalog/").status_code == 200
    assert_throttled(api_client.get("/api/test/catalog/"))
    # Other endpoints are not part of the catalog tier.
    assert api_client.get("/api/v1/").status_code == 200


@tiers(user="2/m")
def test_tier_4_authenticated_user(api_client, customer, bearer):
    headers = bearer(customer)
    for _ in range(2):
        assert api_client.get("/api/v1/auth/me/", **headers).status_code == 200
    assert_throttled(api_client.get("/api/v1/auth/me/", **headers))


@tiers(write="2/m")
def test_tier_5_writes_per_user(api_client, customer, bearer):
    headers = bearer(customer)
    for _ in range(2):
        assert api_client.post("/api/test/echo/", {"quantity": 1}, **headers).status_code == 200
    assert_throttled(api_client.post("/api/test/echo/", {"quantity": 1}, **headers))
    # Reads are still fine.
    assert api_client.get("/api/v1/auth/me/", **headers).status_code == 200


@tiers(booking="2/m")
def test_tier_6_booking_burst_per_user(api_client, customer, organizer, bearer):
    for _ in range(2):
        assert api_client.post("/api/test/booking/", **bearer(customer)).status_code == 200
    assert_throttled(api_client.post("/api/test/booking/", **bearer(customer)))
    assert api_client.post("/api/test/booking/", **bearer(organizer)).status_code == 200


@tiers(**{"global": "1/m", "booking": "1/m"})
@override_settings(VENUE_RATE_LIMITS=False)
def test_rate_limits_off_disables_every_tier(api_client, customer, bearer):
    for _ in range(5):
        assert api_client.post("/api/test/booking/", **bearer(customer)).status_code == 200


@tiers(booking="2/m", catalog="1/m", **{"global": "1000/m"})
@override_settings(CACHES=REDIS_DOWN)
def test_with_redis_down_booking_falls_back_and_browsing_fails_open(
    api_client, customer, bearer, caplog
):
    for _ in range(2):
        assert api_client.post("/api/test/booking/", **bearer(customer)).status_code == 200
    assert_throttled(api_client.post("/api/test/booking/", **bearer(customer)))
    for _ in range(3):
        assert api_client.get("/api/test/catalog/").status_code == 200
    assert any("per-process" in r.getMessage() for r in caplog.records)
    assert any("failing open" in r.getMessage() for r in caplog.records)


@pytest.mark.urls("venue.urls")
@tiers(catalog="2/m")
def test_the_catalog_tier_guards_the_real_catalog_endpoints(api_client):
    for path in ("/api/v1/events/", "/api/v1/movies/", "/api/v1/slots/"):
        from django.core.cache import cache

        cache.clear()
        for _ in range(2):
            assert api_client.get(path).status_code == 200
        assert_throttled(api_client.get(path))
