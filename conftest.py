"""Fixtures shared by every test package."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from apps.core.cache import local_clear
from apps.core.ratelimit import local_counter

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters, lockouts and cached reads must not leak from one test into
    another."""
    cache.clear()
    local_clear()
    local_counter.clear()
    yield
    cache.clear()
    local_clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def make_user(django_user_model):
    def make(email="someone@example.org", role="customer", password=PASSWORD, **fields):
        return django_user_model.objects.create_user(
            email, password, full_name=fields.pop("full_name", "Some One"), role=role, **fields
        )

    return make


@pytest.fixture
def customer(make_user):
    return make_user("customer@example.org", "customer")


@pytest.fixture
def organizer(make_user):
    return make_user("organizer@example.org", "organizer")


@pytest.fixture
def admin_user(make_user):
    return make_user("admin@example.org", "admin", is_staff=True, is_superuser=True)


@pytest.fixture
def bearer():
    """Return headers that authenticate a user with a fresh access token."""
    from rest_framework_simplejwt.tokens import RefreshToken

    def headers(user) -> dict:
        return {"HTTP_AUTHORIZATION": f"Bearer {RefreshToken.for_user(user).access_token}"}

    return headers
