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
