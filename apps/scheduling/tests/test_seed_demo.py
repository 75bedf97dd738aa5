import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from apps.accounts.models import TeamMember, User
from apps.catalog.models import Event, Screen, Seat, Venue
from apps.catalog.services import event_update
from apps.scheduling.management.commands.seed_demo import DEMO_PASSWORD
from apps.scheduling.models import Slot

pytestmark = pytest.mark.django_db


def snapshot():
    return {
        "users": list(User.objects.values_list("id", "email", "role").order_by("id")),
        "venues": list(Venue.objects.values_list("id", flat=True)),
        "screens": list(Screen.objects.values_list("id", flat=True)),
        "seats": Seat.objects.count(),
        "events": list(Event.objects.values_list("id", "type").order_by("id")),
        "slots": list(Slot.objects.values_list("id", flat=True).order_by("id")),
    }


def test_seed_demo_is_idempotent_and_has_the_api_md_demo_data(anon_client):
    call_command("seed_demo", stdout=None)
    first = snapshot()
    call_command("seed_demo")
    assert snapshot() == first

    assert {email for _, email, _ in first["users"]} >= {"demo@venue.test", "organizer@venue.test"}
    assert User.objects.get(email="organizer@venue.test").role == "organizer"
    scanner = User.objects.get(email="scanner@venue.test")
    assert authenticate(email="scanner@venue.test", password=DEMO_PASSWORD)
    membership = TeamMember.objects.get(user=scanner)
    assert (membership.organizer.email, membership.role) == ("organizer@venue.test", "scanner")
    assert TeamMember.objects.count() == 1  # the second run added nobody
    assert authenticate(email="demo@venue.test", password=DEMO_PASSWORD)

    big = Screen.objects.annotate(n=Count("seats")).filter(n__gte=100)
    assert big.exists()
    screen = big.first()
    categories = set(screen.seats.values_list("category", flat=True))
    assert len(categories) >= 2
    assert screen.seats.filter(label="A1", row="A", number=1).exists()
    assert {t for _, t in first["events"]} >= {"movie", "concert", "play"}

    upcoming = Slot.objects.filter(starts_at__gt=timezone.now())
    assert upcoming.filter(seating="reserved").exists()
    assert upcoming.filter(seating="general", capacity__gt=0).exists()
    for kind in ("movie", "concert", "play"):
        assert upcoming.filter(event__type=kind).exists(), kind
    # The concert caps tickets at 4 per customer; the others have no cap.
    caps = dict(Event.objects.values_list("type", "max_tickets_per_customer"))
    assert caps == {"movie": None, "concert": 4, "play": None}

    body = anon_client.get("/api/v1/events/").json()
    assert body["count"] >= 3
    slot = upcoming.filter(seating="reserved").first()
    seats = anon_client.get(f"/api/v1/slots/{slot.pk}/seats/").json()["seats"]
    assert len(seats) >= 100 and all(s["price"] for s in seats)


def test_seed_demo_puts_the_concert_cap_back():
    """A concert seeded before the cap, or changed since, is capped at 4 again by a re-run."""
    call_command("seed_demo", stdout=None)
    concert = Event.objects.get(type="concert", title="Harbour Lights Live")
    event_update(event=concert, max_tickets_per_customer=None)
    call_command("seed_demo", stdout=None)
    concert.refresh_from_db()
    assert concert.max_tickets_per_customer == 4
