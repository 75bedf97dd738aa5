"""Rate-limit tests: a still clock, and tiers overridden for one test."""

import time
from types import SimpleNamespace

import django_ratelimit.core
import pytest
from django.conf import settings
from django.test import override_settings

from apps.core import ratelimit

__all__ = ["assert_throttled", "frozen_clock", "tiers"]


@pytest.fixture
def frozen_clock(monkeypatch):
    """Hold the clock still: counters live in fixed windows, and a test that straddles
    a window's end would see its count start again."""
    clock = SimpleNamespace(time=lambda now=time.time(): now)
    monkeypatch.setattr(ratelimit, "time", clock)
    monkeypatch.setattr(django_ratelimit.core, "time", clock)
    return clock


def tiers(**rates):
    return override_settings(VENUE_RATE_LIMIT_TIERS={**settings.VENUE_RATE_LIMIT_TIERS, **rates})


def assert_throttled(response):
    assert response.status_code == 429, response.content
    assert int(response["Retry-After"]) >= 1
    assert response.json()["error"]["code"] == "rate_limited"
