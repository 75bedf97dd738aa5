"""Offline gates: scans made without a network, uploaded later, settled by the server.

The earliest entry of a ticket is its admission; another entry while it was in is a
double entry, listed with both gates. Uploading again records nothing twice.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.bookings.tickets import qr_text
from apps.checkin.models import Scan
from tests.support.booking import book
from tests.support.fixtures import client_for

pytestmark = pytest.mark.django_db
UPLOAD = "/api/v1/checkin/upload/"


def upload(client, slot, gate, *scans):
    body = {"slot": slot.pk, "gate": gate, "scans": list(scans)}
    response = client.post(UPLOAD, body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def entry(ref, code, minutes_ago):
    at = timezone.now() - timedelta(minutes=minutes_ago)
    return {"ref": ref, "code": code, "scanned_at": at.isoformat()}


@pytest.fixture
def code(customer, door_open, seat_ids):
    return qr_text(book(customer, door_open.pk, seat_ids=seat_ids[:1]).tickets.get())


@pytest.mark.parametrize("north_first", [True, False], ids=["north-uploads-first", "south-first"])
def test_two_offline_gates_one_ticket_either_order(scanner, door_open, code, north_first):
    client = client_for(scanner)
    north = ("north", entry("n-1", code, minutes_ago=10))  # the earlier entry
    south = ("south", entry("s-1", code, minutes_ago=5))
    first, second = (north, south) if north_first else (south, north)
    upload(client, door_open, first[0], first[1])
    upload(client, door_open, second[0], second[1])

    scans = {s.gate: s for s in Scan.objects.all()}
    assert scans["north"].result == "admitted"
    assert scans["south"].result == "double_entry"
    assert scans["south"].conflict_with_id == scans["north"].pk
    figures = client.get(f"/api/v1/slots/{door_open.pk}/checkin/").json()
    assert (figures["checked_in"], figures["double_entries"]) == (1, 1)
    conflicts = client.get(f"/api/v1/slots/{door_open.pk}/checkin/conflicts/").json()
    assert [(c["first_gate"], c["second_gate"]) for c in conflicts] == [("north", "south")]


def test_an_earlier_offline_entry_wins_over_a_later_online_one(scanner, door_open, code):
    client = client_for(scanner)
    online = client.post(
        "/api/v1/checkin/scan/", {"slot": door_open.pk, "code": code, "gate": "east"}
    )
    assert online.json()["result"] == "admitted"
    result = upload(client, door_open, "west", entry("w-1", code, minutes_ago=3))
    assert result["results"][0]["result"] == "admitted"
    assert dict(Scan.objects.values_list("gate", "result")) == {
        "east": "double_entry",
        "west": "admitted",
    }


def test_uploading_again_records_nothing_twice(scanner, door_open, code):
    client = client_for(scanner)
    scans = [entry("a-1", code, 4), entry("a-2", code, 2), entry("a-3", "forged", 1)]
    first = upload(client, door_open, "north", *scans)
    again = upload(client, door_open, "north", *scans)
    assert [r["result"] for r in first["results"]] == [
        "admitted",
        "double_entry",
        "invalid_ticket",
    ]
    assert again["results"] == first["results"]
    assert Scan.objects.count() == 3
    assert first["results"][1]["details"]["gate"] == "north"


def test_a_gate_clock_in_the_future_cannot_postdate_a_scan(scanner, door_open, code):
    ahead = {
        "ref": "f-1",
        "code": code,
        "scanned_at": (timezone.now() + timedelta(hours=3)).isoformat(),
    }
    upload(client_for(scanner), door_open, "north", ahead)
    assert Scan.objects.get().scanned_at <= timezone.now()


def test_an_upload_is_validated_before_anything_is_written(scanner, door_open, code):
    client = client_for(scanner)
    twice = [entry("same", code, 2), entry("same", code, 1)]
    response = client.post(
        UPLOAD, {"slot": door_open.pk, "gate": "n", "scans": twice}, format="json"
    )
    assert response.status_code == 400
    empty = client.post(UPLOAD, {"slot": door_open.pk, "gate": "n", "scans": []}, format="json")
    assert empty.status_code == 400
    assert not Scan.objects.exists()
