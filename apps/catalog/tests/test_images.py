import io
import os
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from PIL import Image

from apps.catalog.models import Event, Movie

pytestmark = pytest.mark.django_db


def png_bytes(size=(64, 32), mode="RGB", color=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, format="PNG")
    return out.getvalue()


def bomb_png(width=50_000, height=50_000) -> bytes:
    """A tiny PNG that claims billions of pixels: only its header is ever read."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


def upload(client, url, name, content, content_type="application/octet-stream"):
    file = SimpleUploadedFile(name, content, content_type=content_type)
    return client.post(url, {"file": file}, format="multipart")


def test_png_renamed_txt_is_accepted_as_an_image_and_reencoded(org_client, event):
    response = upload(org_client, f"/api/v1/events/{event.pk}/banner/", "cat.txt", png_bytes())
    assert response.status_code == 200, response.content
    event.refresh_from_db()
    assert event.banner.name.endswith(".jpg")
    assert response.json()["banner"].endswith(".jpg")
    with event.banner.open("rb") as stored:
        image = Image.open(stored)
        assert image.format == "JPEG"
        assert image.size == (64, 32)


def test_text_file_renamed_png_is_refused(org_client, event):
    response = upload(
        org_client,
        f"/api/v1/events/{event.pk}/banner/",
        "banner.png",
        b"hello, I am not a picture\n" * 20,
        content_type="image/png",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_image"
    event.refresh_from_db()
    assert not event.banner


@override_settings(VENUE_UPLOAD_MAX_BYTES=10_000)
def test_oversized_file_is_refused(org_client, event):
    noisy = Image.frombytes("RGB", (200, 200), os.urandom(200 * 200 * 3))
    out = io.BytesIO()
    noisy.save(out, format="PNG")
    assert len(out.getvalue()) > 10_000
    response = upload(org_client, f"/api/v1/events/{event.pk}/banner/", "big.png", out.getvalue())
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "image_too_large"
    assert error["details"]["max_bytes"] == 10_000


def test_image_bomb_is_refused_without_decoding(org_client, event):
    response = upload(org_client, f"/api/v1/events/{event.pk}/banner/", "bomb.png", bomb_png())
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "image_too_large"


def test_image_over_the_pixel_cap_but_under_pillows_own_limit_is_refused(org_client, event):
    response = upload(
        org_client, f"/api/v1/events/{event.pk}/banner/", "wide.png", bomb_png(8000, 6000)
    )
    assert response.status_code == 413
    assert "pixels" in response.json()["error"]["message"]


def test_truncated_image_is_refused(org_client, event):
    data = png_bytes((300, 300))
    response = upload(org_client, f"/api/v1/events/{event.pk}/banner/", "cut.png", data[:200])
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_image"


def test_large_image_is_resized_and_transparency_kept_as_png(org_client, movie):
    data = png_bytes((3000, 1500), mode="RGBA", color=(0, 0, 0, 0))
    response = upload(org_client, f"/api/v1/movies/{movie.pk}/poster/", "p.webp", data)
    assert response.status_code == 200, response.content
    movie.refresh_from_db()
    with movie.poster.open("rb") as stored:
        image = Image.open(stored)
        assert image.format == "PNG"
        assert image.size == (1000, 500)


def test_replacing_and_removing_a_banner(org_client, event, django_capture_on_commit_callbacks):
    url = f"/api/v1/events/{event.pk}/banner/"
    upload(org_client, url, "a.png", png_bytes())
    first = Event.objects.get(pk=event.pk).banner.name
    with django_capture_on_commit_callbacks(execute=True):
        upload(org_client, url, "b.gif", _gif())
    event.refresh_from_db()
    assert event.banner.name != first
    assert not event.banner.storage.exists(first)
    with django_capture_on_commit_callbacks(execute=True):
        assert org_client.delete(url).status_code == 204
    event.refresh_from_db()
    assert not event.banner


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("P", (10, 10)).save(out, format="GIF")
    return out.getvalue()


def test_bmp_is_refused(org_client, event):
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, format="BMP")
    response = upload(org_client, f"/api/v1/events/{event.pk}/banner/", "a.bmp", out.getvalue())
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_image"


def test_upload_needs_a_file_field(org_client, event):
    response = org_client.post(f"/api/v1/events/{event.pk}/banner/", {}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()["error"]["details"]


def test_another_organizers_event_banner_is_404(rival_client, event):
    response = upload(rival_client, f"/api/v1/events/{event.pk}/banner/", "a.png", png_bytes())
    assert response.status_code == 404


def test_poster_of_another_organizers_movie_is_404(rival_client, movie):
    response = upload(rival_client, f"/api/v1/movies/{movie.pk}/poster/", "a.png", png_bytes())
    assert response.status_code == 404
    assert not Movie.objects.get(pk=movie.pk).poster


def test_poster_delete(org_client, movie):
    upload(org_client, f"/api/v1/movies/{movie.pk}/poster/", "a.png", png_bytes())
    assert org_client.delete(f"/api/v1/movies/{movie.pk}/poster/").status_code == 204
    assert not Movie.objects.get(pk=movie.pk).poster
