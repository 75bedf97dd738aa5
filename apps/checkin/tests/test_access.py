"""Who may work the door: the organizer, its managers and scanners, for its showtimes only."""

import pytest

from apps.accounts.models import TeamMember
from apps.bookings.tickets import qr_text
from tests.support.booking import book
from tests.support.fixtures import client_for, make_user

pytestmark = pytest.mark.django_db
TEAM = "/api/v1/team/members/"


@pytest.fixture
def code(customer, door_open, seat_ids):
    return qr_text(book(customer, door_open.pk, seat_ids=seat_ids[:1]).tickets.get())


def scan(user, slot, code):
    return client_for(user).post(
        "/api/v1/checkin/scan/", {"slot": slot.pk, "code": code, "gate": "g"}, format="json"
    )


def test_a_scanner_scans_its_organizers_showtimes(scanner, door_open, code):
    assert scan(scanner, door_open, code).status_code == 200


def test_a_customer_cannot_scan_and_anonymous_must_log_in(customer, door_open, code):
    assert scan(customer, door_open, code).status_code == 403
    assert scan(None, door_open, code).status_code == 401


def test_another_organizers_staff_get_404_for_this_showtime(other_organizer, door_open, code):
    rival_scanner = make_user("rival-scanner@example.org", "customer")
    TeamMember.objects.create(organizer=other_organizer, user=rival_scanner, role="scanner")
    for user in (other_organizer, rival_scanner):
        assert scan(user, door_open, code).status_code == 404
        assert client_for(user).get(f"/api/v1/slots/{door_open.pk}/checkin/").status_code == 404
        listing = client_for(user).get(f"/api/v1/slots/{door_open.pk}/checkin/list/")
        assert listing.status_code == 404


def test_a_scanner_reads_figures_but_changes_nothing_else(scanner, door_open, event):
    client = client_for(scanner)
    assert client.get(f"/api/v1/slots/{door_open.pk}/checkin/").status_code == 200
    assert client.patch(f"/api/v1/slots/{door_open.pk}/checkin/", {}).status_code == 403
    assert client.patch(f"/api/v1/events/{event.pk}/checkin/", {"reentry": True}).status_code == 403
    assert client.patch(f"/api/v1/events/{event.pk}/", {"title": "Mine now"}).status_code == 403
    assert client.post("/api/v1/venues/", {"name": "X", "city": "Y"}).status_code == 403
    assert client.get(TEAM).status_code == 403


def test_the_organizer_builds_its_team(organizer, customer):
    client = client_for(organizer)
    added = client.post(TEAM, {"email": customer.email.upper(), "role": "scanner"})
    assert added.status_code == 201, added.content
    assert added.json()["email"] == customer.email and added.json()["role"] == "scanner"
    again = client.post(TEAM, {"email": customer.email, "role": "manager"})
    assert again.status_code == 400 and again.json()["error"]["code"] == "team_member_exists"
    nobody = client.post(TEAM, {"email": "nobody@example.org", "role": "scanner"})
    assert nobody.json()["error"]["code"] == "user_not_found"
    assert [m["email"] for m in client.get(TEAM).json()] == [customer.email]
    removed = client.delete(f"{TEAM}{added.json()['id']}/")
    assert removed.status_code == 204
    assert not TeamMember.objects.exists()


def test_a_manager_adds_and_removes_scanners_only(manager, scanner, customer):
    client = client_for(manager)
    assert client.post(TEAM, {"email": customer.email, "role": "manager"}).status_code == 403
    assert client.post(TEAM, {"email": customer.email, "role": "scanner"}).status_code == 201
    manager_row = TeamMember.objects.get(user=manager)
    assert client.delete(f"{TEAM}{manager_row.pk}/").status_code == 403
    scanner_row = TeamMember.objects.get(user=scanner)
    assert client.delete(f"{TEAM}{scanner_row.pk}/").status_code == 204


def test_another_organizers_member_is_404_to_remove(organizer, other_organizer):
    theirs = make_user("theirs@example.org", "customer")
    row = TeamMember.objects.create(organizer=other_organizer, user=theirs, role="scanner")
    assert client_for(organizer).delete(f"{TEAM}{row.pk}/").status_code == 404


def test_organizers_cannot_join_a_team(organizer, other_organizer):
    response = client_for(organizer).post(TEAM, {"email": other_organizer.email, "role": "scanner"})
    assert response.json()["error"]["code"] == "team_member_invalid"
