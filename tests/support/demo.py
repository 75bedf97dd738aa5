"""The demo data of `manage.py seed_demo` (docs/api.md) as tests use it: accounts, signing in,
and a fresh customer for a test that buys what the demo caps (the concert: 4 per customer)."""

import io
import secrets

from django.contrib.auth import get_user_model
from django.core.management import call_command

from apps.accounts.models import Role
from apps.accounts.services import user_register
from apps.accounts.verification import _token, email_verify
from apps.scheduling.management.commands.seed_demo import DEMO_PASSWORD, DEMO_USERS

__all__ = [
    "DEMO_EMAIL",
    "DEMO_PASSWORD",
    "ORGANIZER_EMAIL",
    "fresh_customer",
    "seed",
    "seeded_account",
    "sign_in",
]

DEMO_EMAIL = next(email for email, _, role in DEMO_USERS if role == Role.CUSTOMER)
ORGANIZER_EMAIL = next(email for email, _, role in DEMO_USERS if role == Role.ORGANIZER)


def seed() -> None:
    """Load the demo data into the test database, saying nothing."""
    call_command("seed_demo", stdout=io.StringIO())


def seeded_account(email: str):
    """Load the demo data and return its account `email` (DEMO_EMAIL, ORGANIZER_EMAIL)."""
    seed()
    return get_user_model().objects.get(email=email)


def fresh_customer(prefix: str = "fan"):
    """A new customer of its own, `<prefix>-<random>@example.org` with DEMO_PASSWORD,
    registered and its address proven through the accounts services: a buyer whose
    tickets count against no other test's (the demo concert caps them at 4 a customer,
    and `demo@venue.test` is shared by every test of a run)."""
    user = user_register(
        email=f"{prefix}-{secrets.token_hex(4)}@example.org",
        password=DEMO_PASSWORD,
        full_name=f"Fresh {prefix}",
    )
    return email_verify(token=_token(user, user.email))  # the link's token, as if opened


def sign_in(client, email: str, password: str = DEMO_PASSWORD, **form):
    """Log Django's test `client` in through the login page (a demo account by default)."""
    response = client.post("/login/", {"email": email, "password": password, **form})
    assert response.status_code == 302, response.content
    return client
