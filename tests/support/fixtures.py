"""Users by role, API clients, a venue with a screen, a movie and an event.

The world of the catalog, scheduling, bookings and waitlist tests (and of the
cross-app tests that need one): conftests take it with
`from tests.support.fixtures import *`. The role fixtures here (`organizer`,
`customer`, `admin_user`) stand in for the root conftest's where they are imported.
"""

from datetime import time

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from apps.accounts.models import Role, User
from apps.catalog import services
from apps.catalog.models import EventStatus, EventType

__all__ = [  # what `import *` gives a conftest: the fixtures and the helpers
    "admin_user",
    "anon_client",
    "client_for",
    "customer",
    "customer_client",
    "event",
    "fresh_cache",
    "grid",
    "make_user",
    "movie",
    "org_client",
    "organizer",
    "other_organizer",
    "people",
    "rival_client",
    "screen",
    "venue",
]


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def make_user(email: str, role: str) -> User:
    return User.objects.create_user(email, "pw-not-used-0", full_name=email, role=role)


def client_for(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def organizer(db):
    return make_user("org@example.org", Role.ORGANIZER)


@pytest.fixture
def other_organizer(db):
    return make_user("rival@example.org", Role.ORGANIZER)


@pytest.fixture
def customer(db):
    return make_user("buyer@example.org", Role.CUSTOMER)


@pytest.fixture
def admin_user(db):
    return User.objects.create_superuser("boss@example.org", "pw-not-used-0", full_name="Boss")


@pytest.fixture
def people(db):
    """Make `n` customers `<prefix><i>@example.org`, numbered on from those made before."""

    def make(n, prefix="fan"):
        start = User.objects.filter(email__startswith=prefix).count()
        return [
            User.objects.create_user(
                f"{prefix}{i}@example.org", "pw-not-used-0", full_name=f"{prefix} {i}"
            )
            for i in range(start, start + n)
        ]

    return make


@pytest.fixture
def org_client(organizer):
    return client_for(organizer)


@pytest.fixture
def rival_client(other_organizer):
    return client_for(other_organizer)


@pytest.fixture
def customer_client(customer):
    return client_for(customer)


@pytest.fixture
def anon_client():
    return APIClient()


def grid(rows: str, per_row: int, category: str = "standard", premium_rows: str = "") -> list:
    return [
        {
            "name": name,
            "seats": [
                {"number": n, "category": "premium" if name in premium_rows else category}
                for n in range(1, per_row + 1)
            ],
        }
        for name in rows
    ]


@pytest.fixture
def venue(organizer):
    return services.venue_create(
        organizer=organizer, name="Riverside", city="Lisbon", timezone="Europe/Lisbon"
    )


@pytest.fixture
def screen(venue):
    screen = services.screen_create(
        venue=venue, name="Screen 1", opening_time=time(10), closing_time=time(23, 30)
    )
    return services.screen_layout_replace(screen=screen, rows=grid("ABCD", 5, premium_rows="D"))


@pytest.fixture
def movie(organizer):
    return services.movie_create(
        created_by=organizer,
        title="Night Train",
        runtime_minutes=100,
        rating="PG",
        language="English",
        genres=["Thriller"],
        formats=["2D"],
    )


@pytest.fixture
def event(organizer, movie):
    return services.event_create(
        organizer=organizer,
        type=EventType.MOVIE,
        title="Night Train",
        city="Lisbon",
        status=EventStatus.PUBLISHED,
        movie=movie,
    )
