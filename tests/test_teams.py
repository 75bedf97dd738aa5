"""An organizer's team across the apps: a manager does what its organizer does, for that
organizer (what it creates belongs to the organizer), except change the team; a
scanner only works the door; nobody reaches another organizer's objects."""

import pytest
from django.test import Client

from apps.accounts.models import TeamMember, TeamRole, User
from apps.catalog.models import Event, Venue
from tests.support.fixtures import *  # noqa: F403
from tests.support.fixtures import client_for, make_user
from tests.support.showtimes import *  # noqa: F403

pytestmark = pytest.mark.django_db


def member(organizer, email, role):
    user = make_user(email, "customer")
    TeamMember.objects.create(organizer=organizer, user=user, role=role)
    return user


@pytest.fixture
def manager(organizer):
    return member(organizer, "manager@example.org", TeamRole.MANAGER)


@pytest.fixture
def scanner(organizer):
    return member(organizer, "scanner@example.org", TeamRole.SCANNER)


def test_what_a_manager_creates_belongs_to_its_organizer(manager, organizer):
    client = client_for(manager)
    venue = client.post("/api/v1/venues/", {"name": "Annex", "city": "Porto"}, format="json")
    assert venue.status_code == 201, venue.content
    assert Venue.objects.get(pk=venue.json()["id"]).organizer == organizer
    event = client.post(
        "/api/v1/events/", {"type": "concert", "title": "Gig", "city": "Porto"}, format="json"
    )
    assert event.status_code == 201, event.content
    assert Event.objects.get(pk=event.json()["id"]).organizer == organizer
    # ... and the organizer changes it as its own.
    mine = client_for(organizer).patch(f"/api/v1/events/{event.json()['id']}/", {"title": "Ours"})
    assert mine.status_code == 200


def test_a_manager_changes_the_organizers_events_and_showtimes(manager, event, reserved_slot):
    client = client_for(manager)
    assert client.patch(f"/api/v1/events/{event.pk}/", {"title": "Renamed"}).status_code == 200
    assert client.get(f"/api/v1/venues/{reserved_slot.screen.venue_id}/").status_code == 200
    browser = Client()
    browser.force_login(manager)
    assert browser.get("/organizer/").status_code == 200
    assert browser.get(f"/organizer/slots/{reserved_slot.pk}/bookings/").status_code == 200


def test_a_manager_reaches_nothing_of_another_organizer(other_organizer, organizer):
    theirs = make_user("their-manager@example.org", "customer")
    TeamMember.objects.create(organizer=other_organizer, user=theirs, role=TeamRole.MANAGER)
    venue = client_for(organizer).post("/api/v1/venues/", {"name": "Mine", "city": "X"})
    assert client_for(theirs).get(f"/api/v1/venues/{venue.json()['id']}/").status_code == 404
    assert client_for(theirs).get("/api/v1/venues/").json()["results"] == []


def test_a_scanner_is_no_manager(scanner, event):
    client = client_for(scanner)
    assert client.patch(f"/api/v1/events/{event.pk}/", {"title": "X"}).status_code == 403
    assert client.get("/api/v1/venues/").status_code == 403
    browser = Client()
    browser.force_login(scanner)
    assert browser.get("/organizer/").status_code == 403


def test_a_removed_manager_loses_access_at_once(manager, organizer, event):
    client = client_for(manager)
    assert client.patch(f"/api/v1/events/{event.pk}/", {"title": "A"}).status_code == 200
    TeamMember.objects.filter(user=manager).delete()
    manager = User.objects.get(pk=manager.pk)  # as the next request loads it
    assert (
        client_for(manager).patch(f"/api/v1/events/{event.pk}/", {"title": "B"}).status_code == 403
    )
