import pytest
from django.urls import reverse

from apps.bookings import services as booking_services
from apps.waitlist.models import WaitlistEntry
from tests.support.booking import api_confirm
from tests.support.fixtures import client_for

pytestmark = pytest.mark.django_db


def url(slot_id) -> str:
    return f"/api/v1/slots/{slot_id}/waitlist/"


def test_join_see_position_and_leave(reserved_slot, sold_out, people):
    first, second, third = (client_for(u) for u in people(3))
    assert first.post(url(reserved_slot.pk), {"quantity": 2}).json() == {"position": 1}
    response = second.post(url(reserved_slot.pk), {"quantity": 1})
    assert response.status_code == 201 and response.json() == {"position": 2}
    assert third.post(url(reserved_slot.pk), {"quantity": 4}).json() == {"position": 3}

    mine = second.get(url(reserved_slot.pk)).json()
    assert mine["position"] == 2 and mine["quantity"] == 1 and mine["status"] == "waiting"
    assert mine["offer"] is None and mine["slot"] == reserved_slot.pk

    assert first.delete(url(reserved_slot.pk)).status_code == 204
    assert second.get(url(reserved_slot.pk)).json()["position"] == 1
    assert third.get(url(reserved_slot.pk)).json()["position"] == 2
    missing = first.get(url(reserved_slot.pk))
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "waitlist_entry_not_found"
    assert first.delete(url(reserved_slot.pk)).status_code == 404
    # re-joining goes to the back of the line
    assert first.post(url(reserved_slot.pk), {"quantity": 2}).json() == {"position": 3}
    again = first.post(url(reserved_slot.pk), {"quantity": 1})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_waitlisted"
    assert again.json()["error"]["details"] == {"status": "waiting", "position": 3}


def test_join_refused_while_seats_are_available(reserved_slot, customer_client):
    response = customer_client.post(url(reserved_slot.pk), {"quantity": 3})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "seats_available"
    assert response.json()["error"]["details"] == {"available": 20}
    assert not WaitlistEntry.objects.exists()


@pytest.mark.parametrize("body", [
    {"quantity": "many"}, {"quantity": 0}, {"quantity": 11}, {"quantity": -1},
    {"quantity": 2.5}, {"quantity": None}, {"quantity": [2]}, {}, [], "2",
])  # fmt: skip
def test_malformed_input_is_400(reserved_slot, sold_out, customer_client, body):
    response = customer_client.post(url(reserved_slot.pk), body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_quantity_as_a_numeric_string_is_accepted(reserved_slot, sold_out, customer_client):
    response = customer_client.post(url(reserved_slot.pk), {"quantity": "3"})
    assert response.status_code == 201


def test_not_json_is_400(reserved_slot, customer_client):
    response = customer_client.post(
        url(reserved_slot.pk), "{quantity", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"


@pytest.mark.parametrize("slot_id", [999999, 2**31, 2**63 + 5])
def test_unknown_slot_is_404(customer_client, slot_id):
    for method in ("post", "get", "delete"):
        response = getattr(customer_client, method)(url(slot_id), {"quantity": 1})
        assert response.status_code == 404, (method, response.content)
    response = customer_client.post(url(slot_id), {"quantity": 1})
    assert response.json()["error"]["code"] == "slot_not_found"


def test_slot_of_a_draft_event_is_404_and_cancelled_is_409(
    reserved_slot, sold_out, customer_client, event
):
    reserved_slot.status = "cancelled"
    reserved_slot.save()
    response = customer_client.post(url(reserved_slot.pk), {"quantity": 1})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "slot_not_on_sale"
    event.status = "draft"
    event.save()
    assert customer_client.post(url(reserved_slot.pk), {"quantity": 1}).status_code == 404


def test_anonymous_is_401(reserved_slot, anon_client):
    assert anon_client.post(url(reserved_slot.pk), {"quantity": 1}).status_code == 401
    assert anon_client.get(url(reserved_slot.pk)).status_code == 401


def test_your_entry_shows_your_offer(
    reserved_slot, sold_out, people, django_capture_on_commit_callbacks
):
    (fan,) = people(1)
    client = client_for(fan)
    client.post(url(reserved_slot.pk), {"quantity": 2})
    with django_capture_on_commit_callbacks(execute=True):
        booking_services.booking_cancel(booking_id=sold_out[0].pk)
    mine = client.get(url(reserved_slot.pk)).json()
    assert mine["status"] == "offered" and mine["position"] is None
    hold = client.get("/api/v1/holds/").json()["results"][0]
    assert hold["kind"] == "offer"
    assert mine["offer"] == {
        "hold": hold["id"],
        "quantity": 2,
        "total": hold["total"],
        "expires_at": hold["expires_at"],
    }
    with django_capture_on_commit_callbacks(execute=True):
        confirm = api_confirm(client, hold["id"], key="offer-1")
    assert confirm.status_code == 201
    assert WaitlistEntry.objects.get(user=fan).status == "fulfilled"
    assert client.get(url(reserved_slot.pk)).status_code == 404


def test_summary_for_the_organizer_only(
    reserved_slot, sold_out, people, org_client, rival_client, customer_client, admin_user
):
    for user, quantity in zip(people(3), [1, 2, 4], strict=True):
        client_for(user).post(url(reserved_slot.pk), {"quantity": quantity})
    client_for(people(1)[0]).post(url(reserved_slot.pk), {"quantity": 1})
    WaitlistEntry.objects.filter(quantity=4).update(status="left")
    summary = url(reserved_slot.pk) + "summary/"
    response = org_client.get(summary)
    assert response.status_code == 200
    body = response.json()
    assert body["slot"] == reserved_slot.pk
    assert body["statuses"]["waiting"] == {"entries": 3, "places": 4}
    assert body["statuses"]["left"] == {"entries": 1, "places": 4}
    assert body["statuses"]["offered"] == {"entries": 0, "places": 0}
    assert client_for(admin_user).get(summary).status_code == 200
    for other in (rival_client, customer_client):
        response = other.get(summary)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "slot_not_found"


def test_admin_lists_entries(reserved_slot, sold_out, people, admin_user, client):
    (fan,) = people(1)
    client_for(fan).post(url(reserved_slot.pk), {"quantity": 2})
    client.force_login(admin_user)
    page = client.get(reverse("admin:waitlist_waitlistentry_changelist"))
    assert page.status_code == 200 and fan.email in page.content.decode()
    entry = WaitlistEntry.objects.get()
    detail = client.get(reverse("admin:waitlist_waitlistentry_change", args=[entry.pk]))
    assert detail.status_code == 200
    assert client.get(reverse("admin:waitlist_waitlistentry_add")).status_code == 403


def test_schema_documents_the_waitlist(anon_client):
    schema = anon_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    paths = schema.json()["paths"]
    assert {"get", "post", "delete"} <= set(paths["/api/v1/slots/{slot_id}/waitlist/"])
    assert "get" in paths["/api/v1/slots/{slot_id}/waitlist/summary/"]
