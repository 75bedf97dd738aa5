import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def storage_backend(**env) -> subprocess.CompletedProcess:
    code = "import venue.settings.base as s; print(s.STORAGES['default']['BACKEND'])"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_media_defaults_to_django_storage_without_a_bucket():
    result = storage_backend(MEDIA_S3_BUCKET="")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.core.files.storage.FileSystemStorage"


@pytest.mark.skipif(importlib.util.find_spec("storages") is not None, reason="storages installed")
def test_a_bucket_without_django_storages_is_a_clear_configuration_error():
    result = storage_backend(MEDIA_S3_BUCKET="venue-media")
    assert result.returncode != 0
    assert "django-storages is not installed" in result.stderr


@pytest.mark.skipif(importlib.util.find_spec("storages") is None, reason="needs django-storages")
def test_a_bucket_selects_s3_storage():
    result = storage_backend(MEDIA_S3_BUCKET="venue-media")
    assert result.stdout.strip() == "storages.backends.s3.S3Storage"
