import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

MODELS = [
    ("catalog", "movie"),
    ("catalog", "event"),
    ("catalog", "venue"),
    ("catalog", "screen"),
    ("catalog", "seat"),
    ("scheduling", "slot"),
    ("scheduling", "slotprice"),
    ("scheduling", "schedulerule"),
    ("scheduling", "generationjob"),
]


@pytest.mark.parametrize(("app", "model"), MODELS)
def test_admin_lists_search_and_change_pages(admin_user, app, model):
    call_command("seed_demo")
    client = Client()
    client.force_login(admin_user)
    changelist = reverse(f"admin:{app}_{model}_changelist")
    assert client.get(changelist).status_code == 200
    assert client.get(changelist, {"q": "a"}).status_code == 200
    model_class = __import__(f"apps.{app}.models", fromlist=["x"])
    obj = next(
        (
            m
            for m in vars(model_class).values()
            if getattr(m, "_meta", None) and m._meta.model_name == model
        ),
    ).objects.first()
    if obj is not None:
        assert client.get(reverse(f"admin:{app}_{model}_change", args=[obj.pk])).status_code == 200


def test_admin_uploads_are_checked_like_api_uploads(admin_user):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from apps.catalog.admin import MovieForm

    data = {"title": "X", "runtime_minutes": 90, "genres": "[]", "formats": "[]"}
    bad = MovieForm(data, {"poster": SimpleUploadedFile("p.png", b"not an image at all")})
    assert not bad.is_valid()
    assert "poster" in bad.errors
    out = io.BytesIO()
    Image.new("RGB", (3000, 3000)).save(out, format="PNG")
    good = MovieForm(data, {"poster": SimpleUploadedFile("p.txt", out.getvalue())})
    assert good.is_valid(), good.errors
    movie = good.save()
    assert movie.poster.name.endswith(".jpg")
    assert Image.open(movie.poster).size == (1000, 1000)
