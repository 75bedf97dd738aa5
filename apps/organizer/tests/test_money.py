"""The portal's money page of a showtime: every charge and refund with who and why, the
totals reconciling with the bookings, the CSV; the organizer's own showtimes only."""

import csv
import io

import pytest

from apps.bookings import services
from tests.support.booking import book
from tests.support.fixtures import *  # noqa: F403
from tests.support.showtimes import *  # noqa: F403

pytestmark = pytest.mark.django_db


def url(slot) -> str:
    return f"/organizer/slots/{slot.pk}/money/"


def test_the_money_page_lists_charges_and_refunds_and_reconciles(
    client, organizer, customer, people, general_slot, django_capture_on_commit_callbacks
):
    kept = book(customer, general_slot.pk, quantity=2)
    (other,) = people(1, prefix="money")
    gone = book(other, general_slot.pk, quantity=1)
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_cancel(user=other, booking_id=gone.pk)
    client.force_login(organizer)
    bookings_page = client.get(f"/organizer/slots/{general_slot.pk}/bookings/").content.decode()
    assert f'href="{url(general_slot)}"' in bookings_page

    page = client.get(url(general_slot)).content.decode()
    total = kept.total + gone.total
    assert f"data-charged>{total}<" in page and f"data-refunded>{gone.total}<" in page
    assert f"data-net>{kept.total}<" in page and f"data-booked>{kept.total}<" in page
    assert 'data-reconciles="yes"' in page
    assert page.count('data-ledger-kind="charge"') == 2
    assert page.count('data-ledger-kind="refund"') == 1
    assert "the customer cancelled" in page and other.email in page

    response = client.get(url(general_slot), {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["kind"], r["booking_reference"]) for r in rows] == [
        ("charge", kept.reference),
        ("charge", gone.reference),
        ("refund", gone.reference),
    ]
    assert rows[2]["reason"] == "cancelled_by_customer" and rows[2]["by"] == other.email
    assert rows[0]["provider"] == "test" and rows[0]["provider_ref"].startswith("test_")
    charged = sum(float(r["amount"]) for r in rows if r["kind"] == "charge")
    refunded = sum(float(r["amount"]) for r in rows if r["kind"] == "refund")
    assert round(charged - refunded, 2) == float(kept.total)


def test_only_the_showtimes_organizer_sees_its_money(
    client, other_organizer, customer, general_slot
):
    book(customer, general_slot.pk, quantity=1)
    client.force_login(other_organizer)
    assert client.get(url(general_slot)).status_code == 404
    client.force_login(customer)
    assert client.get(url(general_slot)).status_code in (302, 403)
