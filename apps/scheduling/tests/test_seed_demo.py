import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from apps.accounts.models import User

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent():
    call_command("seed_demo", stdout=None)
    first = list(User.objects.values_list("id", "email", "role").order_by("id"))
    call_command("seed_demo")
    assert list(User.objects.values_list("id", "email", "role").order_by("id")) == first
    assert {email for _, email, _ in first} >= {"demo@venue.test", "organizer@venue.test"}
    assert User.objects.get(email="organizer@venue.test").role == "organizer"
    assert authenticate(email="demo@venue.test", password="venue-demo-pass")
