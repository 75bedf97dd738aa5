import time
from unittest import mock

import pytest
from django.core.cache import cache

from apps.core import cache as public_cache

pytestmark = pytest.mark.django_db


class Broken:
    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("cache down")

        return fail


def test_public_reads_work_when_the_cache_is_down(
    anon_client, event, django_capture_on_commit_callbacks
):
    with mock.patch.object(public_cache, "cache", Broken()):
        assert anon_client.get("/api/v1/events/").json()["count"] == 1
        assert anon_client.get(f"/api/v1/events/{event.pk}/").status_code == 200
        with django_capture_on_commit_callbacks(execute=True):
            public_cache.public_cache_bump()  # logged, not raised
        assert public_cache.public_generation() == 0


def test_generation_bump_survives_an_evicted_counter(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        public_cache.public_cache_bump()
    first = public_cache.public_generation()
    with django_capture_on_commit_callbacks(execute=True):
        public_cache.public_cache_bump()
    assert public_cache.public_generation() == first + 1
    cache.delete(public_cache.GENERATION_KEY)
    with (
        mock.patch.object(public_cache.cache, "add", return_value=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        public_cache.public_cache_bump()
    assert public_cache.public_generation() == 1


def test_a_cached_public_read_costs_one_cache_round_trip(anon_client, event, settings):
    settings.VENUE_PUBLIC_CACHE_LOCAL_SECONDS = 0  # Redis only
    anon_client.get("/api/v1/events/")  # builds and stores
    with (
        mock.patch.object(
            public_cache.cache, "get_many", wraps=public_cache.cache.get_many
        ) as mget,
        mock.patch.object(public_cache, "public_generation", side_effect=AssertionError),
        mock.patch.object(public_cache.cache, "set", side_effect=AssertionError),
    ):
        assert anon_client.get("/api/v1/events/").json()["count"] == 1
    assert mget.call_count == 1  # the generation and the entry together (Redis MGET)


def test_an_entry_of_an_older_generation_is_rebuilt(django_capture_on_commit_callbacks, settings):
    settings.VENUE_PUBLIC_CACHE_LOCAL_SECONDS = 0  # the shared tier alone
    key = public_cache.cache_key("test", 1)
    assert public_cache.public_cached(key, lambda: "first") == "first"
    assert public_cache.public_cached(key, lambda: "unused") == "first"
    with django_capture_on_commit_callbacks(execute=True):
        public_cache.public_cache_bump()
    assert public_cache.public_cached(key, lambda: "second") == "second"
    assert public_cache.public_cached(key, lambda: "unused") == "second"


def test_a_recent_public_read_is_served_from_the_process_without_a_round_trip(anon_client, event):
    anon_client.get("/api/v1/events/")
    with mock.patch.object(public_cache.cache, "get_many", side_effect=AssertionError):
        assert anon_client.get("/api/v1/events/").json()["count"] == 1


def test_the_process_copy_lives_briefly_and_a_local_write_drops_it(
    settings, django_capture_on_commit_callbacks
):
    settings.VENUE_PUBLIC_CACHE_LOCAL_SECONDS = 0.05
    key = public_cache.cache_key("test", 2)
    assert public_cache.public_cached(key, lambda: "first") == "first"
    # Another process bumps the generation (in Redis only): this one keeps its copy briefly.
    public_cache.cache.set(public_cache.GENERATION_KEY, 99, timeout=None)
    assert public_cache.public_cached(key, lambda: "second") == "first"
    time.sleep(0.06)
    assert public_cache.public_cached(key, lambda: "second") == "second"
    # A write in this process drops the copies at once.
    with django_capture_on_commit_callbacks(execute=True):
        public_cache.public_cache_bump()
    assert public_cache.public_cached(key, lambda: "third") == "third"


def test_the_process_copies_are_bounded():
    for n in range(public_cache.LOCAL_MAX_ENTRIES * 2 + 1):
        public_cache.public_cached(public_cache.cache_key("bounded", n), lambda n=n: n)
    assert 0 < len(public_cache._local) <= public_cache.LOCAL_MAX_ENTRIES
