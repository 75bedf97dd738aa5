"""The Django admin for organizers: their own objects only, every write through a service.

An organizer logs into `/admin/` like an admin; its change lists hold only its own
venues, screens, events, showtimes, bookings, holds and waitlist entries, another
organizer's objects are 404 by URL, foreign keys offer only its own objects, and the
writes (a showtime created or changed, a hold deleted) go through the services with
their checks and side effects.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.bookings import services as bookings
from apps.bookings.models import GeneralInventory, Hold
from apps.catalog import services as catalog
from apps.catalog.models import Event, Venue
from apps.scheduling.models import Slot
from apps.scheduling.services import slot_create
from tests.support.booking import book
from tests.support.fixtures import *  # noqa: F403
from tests.support.fixtures import grid
from tests.support.showtimes import *  # noqa: F403

# Transactional: the admin views then run the services as in production, where a
# service's durable transaction may not nest in one the admin would open.
pytestmark = pytest.mark.django_db(transaction=True)

PAGES = [
    "catalog_venue",
    "catalog_screen",
    "catalog_seat",
    "catalog_event",
    "scheduling_slot",
    "scheduling_slotprice",
    "bookings_booking",
    "bookings_hold",
    "waitlist_waitlistentry",
]
ADMINS_ONLY = ["accounts_user", "catalog_movie", "bookings_payment", "bookings_seatclaim"]


@pytest.fixture
def rival_world(other_organizer, movie):
    """Another organizer's venue, screen, event and showtime."""
    venue = catalog.venue_create(organizer=other_organizer, name="Rival Hall", city="Rome")
    screen = catalog.screen_create(venue=venue, name="R1")
    screen = catalog.screen_layout_replace(screen=screen, rows=grid("AB", 4))
    event = catalog.event_create(
        organizer=other_organizer,
        type="movie",
        title="Rival Film",
        city="Rome",
        movie=movie,
        status="published",
    )
    slot = slot_create(
        event=event,
        screen=screen,
        starts_at=timezone.now() + timedelta(days=3),
        seating="reserved",
        prices={"standard": "9.00"},
    )
    return {"venue": venue, "screen": screen, "event": event, "slot": slot}


def admin_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_organizer_logs_in_and_sees_only_its_own_objects(
    organizer, customer, reserved_slot, general_slot, rival_world
):
    organizer.set_password("org-pass-123")
    organizer.save()
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/", {"username": organizer.email, "password": "org-pass-123"}
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
    index = client.get("/admin/").content.decode()
    assert "Showtimes" in index or "Slots" in index
    for page in ADMINS_ONLY:
        assert f"/admin/{page.replace('_', '/', 1)}/" not in index
        assert client.get(reverse(f"admin:{page}_changelist")).status_code == 403

    bookings.hold_create(
        user=customer, slot_id=reserved_slot.pk, seat_ids=[reserved_slot.screen.seats.first().pk]
    )
    book(customer, general_slot.pk, quantity=1)
    book(customer, rival_world["slot"].pk, seat_ids=[rival_world["screen"].seats.last().pk])
    rival_hold = bookings.hold_create(
        user=customer,
        slot_id=rival_world["slot"].pk,
        seat_ids=[rival_world["screen"].seats.first().pk],
    )
    for page in PAGES:
        response = client.get(reverse(f"admin:{page}_changelist"))
        assert response.status_code == 200, page
        shown = response.context["cl"].queryset
        assert shown.model.objects.count() > shown.count() or page.startswith("waitlist"), page
    assert list(client.get(reverse("admin:catalog_venue_changelist")).context["cl"].queryset) == [
        reserved_slot.screen.venue
    ]
    holds = client.get(reverse("admin:bookings_hold_changelist")).context["cl"].queryset
    assert rival_hold not in holds and holds.count() == 1


@pytest.mark.parametrize(
    ("page", "key"),
    [
        ("catalog_venue", "venue"),
        ("catalog_screen", "screen"),
        ("catalog_event", "event"),
        ("scheduling_slot", "slot"),
    ],
)
def test_another_organizers_object_is_404_by_url(organizer, rival_world, page, key):
    client = admin_client(organizer)
    pk = rival_world[key].pk
    for view in ("change", "delete", "history"):
        assert client.get(reverse(f"admin:{page}_{view}", args=[pk])).status_code == 404, view
    response = client.post(reverse(f"admin:{page}_delete", args=[pk]), {"post": "yes"})
    assert response.status_code == 404
    assert type(rival_world[key]).objects.filter(pk=pk).exists()


def test_an_organizer_cannot_pick_another_organizers_screen_or_event(
    organizer, event, screen, rival_world
):
    client = admin_client(organizer)
    form = client.get(reverse("admin:scheduling_slot_add")).context["adminform"].form
    assert set(form.fields["screen"].queryset) == {screen}
    assert set(form.fields["event"].queryset) == {event}
    starts = timezone.localtime(timezone.now() + timedelta(days=5))
    data = {
        "event": event.pk,
        "screen": rival_world["screen"].pk,
        "starts_at_0": starts.strftime("%Y-%m-%d"),
        "starts_at_1": starts.strftime("%H:%M:%S"),
        "seating": "reserved",
        "status": "scheduled",
        "prices": '{"standard": "9.00"}',
    }
    response = client.post(reverse("admin:scheduling_slot_add"), data)
    assert response.status_code == 200  # the form again, with the error
    assert "screen" in response.context["adminform"].form.errors
    assert not Slot.objects.filter(screen=rival_world["screen"], event=event).exists()


def test_an_organizer_creates_and_changes_a_showtime_through_the_service(
    organizer, event, screen, reserved_slot
):
    client = admin_client(organizer)
    starts = timezone.localtime(timezone.now() + timedelta(days=6))
    data = {
        "event": event.pk,
        "screen": screen.pk,
        "starts_at_0": starts.strftime("%Y-%m-%d"),
        "starts_at_1": starts.strftime("%H:%M:%S"),
        "seating": "reserved",
        "status": "scheduled",
        "prices": '{"standard": "11.00", "premium": "16.00"}',
    }
    response = client.post(reverse("admin:scheduling_slot_add"), data)
    assert response.status_code == 302, response.content
    slot = Slot.objects.exclude(pk=reserved_slot.pk).get(event=event)
    assert slot.capacity == 20  # the layout's seats, as slot_create counts them
    assert slot.ends_at > slot.starts_at  # the default end from the runtime
    assert {p.category: str(p.price) for p in slot.prices.all()} == {
        "standard": "11.00",
        "premium": "16.00",
    }

    # Moving it onto the other showtime is refused by slot_update's overlap check.
    other = timezone.localtime(reserved_slot.starts_at)
    change = reverse("admin:scheduling_slot_change", args=[slot.pk])
    moved = {
        "starts_at_0": other.strftime("%Y-%m-%d"),
        "starts_at_1": other.strftime("%H:%M:%S"),
        "ends_at_0": timezone.localtime(slot.ends_at).strftime("%Y-%m-%d"),
        "ends_at_1": timezone.localtime(slot.ends_at).strftime("%H:%M:%S"),
        "status": "scheduled",
        "prices": '{"standard": "11.00", "premium": "16.00"}',
        "prices-TOTAL_FORMS": "0",
        "prices-INITIAL_FORMS": "0",
    }
    response = client.post(change, moved, follow=True)
    assert "The screen is busy" in [str(m) for m in response.context["messages"]][-1]
    before = slot.starts_at
    slot.refresh_from_db()
    assert slot.starts_at == before


def test_deleting_a_general_admission_hold_in_the_admin_gives_its_places_back(
    organizer, customer, general_slot
):
    hold = bookings.hold_create(user=customer, slot_id=general_slot.pk, quantity=3)
    inventory = GeneralInventory.objects.get(slot=general_slot)
    assert inventory.available == 27
    client = admin_client(organizer)
    response = client.post(reverse("admin:bookings_hold_delete", args=[hold.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Hold.objects.filter(pk=hold.pk).exists()
    inventory.refresh_from_db()
    assert inventory.available == 30

    # The bulk action goes the same way.
    holds = [bookings.hold_create(user=customer, slot_id=general_slot.pk, quantity=2) for _ in "ab"]
    response = client.post(
        reverse("admin:bookings_hold_changelist"),
        {"action": "delete_selected", "_selected_action": [h.pk for h in holds], "post": "yes"},
    )
    assert response.status_code == 302
    inventory.refresh_from_db()
    assert inventory.available == 30 and not Hold.objects.filter(slot=general_slot).exists()


def test_general_inventory_and_bookings_cannot_be_edited_in_the_admin(
    admin_user, customer, general_slot
):
    client = admin_client(admin_user)
    bookings.hold_create(user=customer, slot_id=general_slot.pk, quantity=1)
    inventory = GeneralInventory.objects.get(slot=general_slot)
    url = reverse("admin:bookings_generalinventory_change", args=[inventory.pk])
    client.post(url, {"slot": general_slot.pk, "available": 999})
    inventory.refresh_from_db()
    assert inventory.available == 29
    assert client.get(reverse("admin:bookings_generalinventory_add")).status_code == 403


def test_an_event_saved_in_the_admin_goes_through_the_service(organizer):
    client = admin_client(organizer)
    response = client.post(
        reverse("admin:catalog_event_add"),
        {"type": "play", "title": "Admin Play", "city": "Lyon", "status": "published"},
    )
    assert response.status_code == 302, response.content
    event = Event.objects.get(title="Admin Play")
    assert event.organizer == organizer  # an organizer's own, whatever the form said
    venue_add = client.post(
        reverse("admin:catalog_venue_add"),
        {"name": "Hall", "city": "Lyon", "timezone": "Europe/Paris"},
    )
    assert venue_add.status_code == 302
    assert Venue.objects.get(name="Hall").organizer == organizer
