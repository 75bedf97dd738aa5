"""The organizer portal through Django's test client."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from apps.catalog.models import Event, Screen, Venue
from apps.organizer.forms import LayoutForm, grid_rows, layout_grid
from apps.organizer.selectors import sales_chart
from apps.scheduling.models import GenerationJob, Slot
from tests.support.booking import book
from tests.support.demo import DEMO_EMAIL, ORGANIZER_EMAIL, seeded_account, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(db):
    return seeded_account(ORGANIZER_EMAIL)


@pytest.fixture
def portal(client, seeded):
    return sign_in(client, seeded.email)


def png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 36), (200, 20, 20)).save(buffer, "PNG")
    return SimpleUploadedFile("b.png", buffer.getvalue(), content_type="image/png")


def test_portal_is_for_organizers_only(client, seeded):
    assert client.get("/organizer/")["Location"] == "/login/?next=/organizer/"
    sign_in(client, DEMO_EMAIL)
    response = client.get("/organizer/")
    assert response.status_code == 403


def test_dashboard_shows_sales_occupancy_and_chart(portal, seeded, django_user_model):
    slot = Slot.objects.filter(seating="general").order_by("starts_at").first()
    book(django_user_model.objects.get(email=DEMO_EMAIL), slot.pk, quantity=4)
    page = portal.get("/organizer/").content.decode()
    assert f'<tr data-slot-id="{slot.pk}">' in page
    row = page.split(f'<tr data-slot-id="{slot.pk}">')[1].split("</tr>")[0]
    assert "4 / 400" in row and "140.00" in row and "1%" in row, row
    assert 'data-tickets="4"' in page
    assert 'data-waitlist="0"' in row


def test_dashboard_shows_waitlist_counts(portal, seeded, django_user_model):
    from apps.waitlist.models import WaitlistEntry

    slot = Slot.objects.filter(seating="general").order_by("starts_at").first()
    for i, quantity in enumerate((2, 3)):
        fan = django_user_model.objects.create_user(f"fan{i}@example.org", None)
        WaitlistEntry.objects.create(user=fan, slot=slot, quantity=quantity)
    page = portal.get("/organizer/").content.decode()
    row = page.split(f'<tr data-slot-id="{slot.pk}">')[1].split("</tr>")[0]
    assert 'data-waitlist="2"' in row and "2 waiting (5 places)" in row, row


def test_sales_chart_geometry():
    chart = sales_chart(
        [{"day": 1, "tickets": 0, "revenue": 0}, {"day": 2, "tickets": 5, "revenue": 50}]
    )
    assert chart["peak"] == 5 and chart["total"] == 5
    assert chart["bars"][0]["h"] == 0 and chart["bars"][1]["y"] == chart["top"]


def test_event_create_validates_uploads_banner_and_edits(portal, seeded):
    page = portal.post("/organizer/events/new/", {"type": "movie", "title": "", "city": "X"})
    text = page.content.decode()
    assert "This field is required." in text and "Pick the movie this event shows." in text
    response = portal.post(
        "/organizer/events/new/",
        {
            "type": "play",
            "title": "New Play",
            "city": "Porto",
            "status": "published",
            "banner": png(),
        },
    )
    event = Event.objects.get(title="New Play")
    assert response["Location"] == reverse("organizer:event-schedule", args=[event.pk])
    assert event.banner and event.organizer == seeded
    bad = SimpleUploadedFile("b.png", b"not an image", content_type="image/png")
    text = portal.post(
        reverse("organizer:event-edit", args=[event.pk]),
        {"type": "play", "title": "Renamed", "city": "Porto", "status": "draft", "banner": bad},
    ).content.decode()
    assert "not an image we can read" in text
    event.refresh_from_db()
    assert (event.title, event.status) == ("New Play", "published")  # nothing of the edit kept
    assert event.banner
    response = portal.post(
        reverse("organizer:event-edit", args=[event.pk]),
        {
            "type": "play",
            "title": "Renamed",
            "city": "Porto",
            "status": "draft",
            "banner-clear": "on",
        },
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.title == "Renamed" and not event.banner
    assert "Renamed" in portal.get("/organizer/events/").content.decode()
    assert portal.get(reverse("organizer:event-edit", args=[999999])).status_code == 404


def test_event_create_with_a_bad_banner_writes_nothing(portal, seeded):
    """The event and its banner are one service call: a bad banner saves no event, so
    submitting the form again cannot make a second one."""
    before = Event.objects.count()
    fields = {"type": "play", "title": "Twice", "city": "Porto", "status": "published"}
    for _ in range(2):
        bad = SimpleUploadedFile("b.png", b"not an image", content_type="image/png")
        page = portal.post("/organizer/events/new/", {**fields, "banner": bad})
        assert page.status_code == 200 and "not an image we can read" in page.content.decode()
    assert Event.objects.count() == before
    response = portal.post("/organizer/events/new/", {**fields, "banner": png()})
    assert response.status_code == 302
    assert Event.objects.filter(title="Twice").count() == 1


def test_venue_screen_layout_and_schedule(portal, seeded, django_capture_on_commit_callbacks):
    text = portal.post(
        "/organizer/venues/", {"name": "Hall", "city": "Porto", "timezone": "Mars/Base"}
    ).content.decode()
    assert "is not an IANA time zone" in text
    response = portal.post(
        "/organizer/venues/", {"name": "Hall", "city": "Porto", "timezone": "Europe/Lisbon"}
    )
    venue = Venue.objects.get(name="Hall")
    assert response["Location"] == reverse("organizer:venue-detail", args=[venue.pk])
    response = portal.post(
        reverse("organizer:venue-detail", args=[venue.pk]),
        {"name": "Room", "opening_time": "10:00", "closing_time": "23:00"},
    )
    screen = Screen.objects.get(venue=venue)
    layout = reverse("organizer:screen-layout", args=[screen.pk])
    assert response["Location"] == layout
    assert "No seats yet" in portal.get(layout).content.decode()
    form = {
        "rows": 3,
        "seats_per_row": 6,
        "aisles_after": "3",
        "default_category": "standard",
        "row_categories": "C premium",
    }
    text = portal.post(layout, {**form, "action": "preview"}).content.decode()
    assert text.count('class="layout-cell') == 21 and screen.seats.count() == 0
    text = portal.post(layout, {**form, "row_categories": "C-", "action": "save"}).content.decode()
    assert "is not a rule" in text
    portal.post(layout, {**form, "action": "save"})
    assert screen.seats.count() == 18 and screen.seats.filter(category="premium").count() == 6
    cells = '[["aisle","vip","standard"],["standard","standard"]]'
    portal.post(layout, {**form, "cells": cells, "action": "save"})
    assert sorted(screen.seats.values_list("label", flat=True)) == ["A1", "A2", "B1", "B2"]
    assert (
        "broken layout"
        in portal.post(layout, {**form, "cells": "{", "action": "save"}).content.decode()
    )

    event = Event.objects.get(title="A Midsummer Night's Dream")
    schedule = reverse("organizer:event-schedule", args=[event.pk])
    day = (timezone.localdate() + timedelta(days=2)).isoformat()
    rule = {
        "screen": screen.pk,
        "mode": "times",
        "date_from": day,
        "date_to": day,
        "start_times": "18:00, 21:00",
        "duration_minutes": 90,
        "buffer_minutes": 20,
        "seating": "reserved",
        "prices": "standard=10, vip=20",
    }
    text = portal.post(schedule, {**rule, "prices": "standard=10"}).content.decode()
    assert "no price for vip" in text
    text = portal.post(schedule, {**rule, "start_times": "25:00", "prices": "x"}).content.decode()
    assert "is not a time" in text and "is not category=price" in text
    with django_capture_on_commit_callbacks(execute=True):
        response = portal.post(schedule, rule)
    job = GenerationJob.objects.get(rule__event=event, rule__screen=screen)
    assert response["Location"] == reverse("organizer:generation-job", args=[event.pk, job.pk])
    text = portal.get(response["Location"]).content.decode()
    assert 'data-job-status="succeeded"' in text and "<strong data-created>2</strong>" in text
    assert "last run" in portal.get(schedule).content.decode()
    assert (
        portal.get(reverse("organizer:generation-job", args=[event.pk, 999999])).status_code == 404
    )


def test_bookings_per_showtime_search_and_csv(portal, seeded, django_user_model):
    slot = Slot.objects.filter(seating="reserved").order_by("starts_at").first()
    buyer = django_user_model.objects.get(email=DEMO_EMAIL)
    buyer.full_name = "=cmd()"
    buyer.save()
    seats = list(slot.screen.seats.order_by("id").values_list("id", flat=True)[:2])
    reference = book(buyer, slot.pk, seat_ids=seats).reference
    url = reverse("organizer:slot-bookings", args=[slot.pk])
    text = portal.get(url, {"q": reference}).content.decode()
    assert reference in text and "A1 A2" in text
    assert "0 bookings" in portal.get(url, {"q": "nobody"}).content.decode()
    response = portal.get(url, {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("reference,status,email,name")
    assert reference in lines[1] and "'=cmd()" in lines[1]
    assert portal.get(reverse("organizer:slot-bookings", args=[999999])).status_code == 404


def test_layout_helpers_round_trip():
    grid = [["standard", "aisle", "premium"], ["standard"]]
    rows = grid_rows(grid)
    assert rows[0]["seats"][1] == {"gap": 1} and rows[1]["name"] == "B"
    seats = [
        {"x": 0, "y": 0, "category": "standard"},
        {"x": 2, "y": 0, "category": "premium"},
        {"x": 0, "y": 1, "category": "standard"},
    ]
    assert layout_grid(seats) == grid
    form = LayoutForm({"rows": 1, "seats_per_row": 2, "aisles_after": "x", "default_category": "s"})
    assert not form.is_valid() and "aisles_after" in form.errors


def test_admin_lists_users_and_cancels_bookings_through_the_service(client, admin_user, seeded):
    client.force_login(admin_user)
    page = client.get("/admin/accounts/user/", {"q": "organizer"}).content.decode()
    assert ORGANIZER_EMAIL in page
    assert client.get(f"/admin/accounts/user/{seeded.pk}/change/").status_code == 200
    slot = Slot.objects.filter(seating="general").order_by("starts_at").first()
    booking = book(seeded, slot.pk, quantity=2)
    client.post(
        "/admin/bookings/booking/",
        {"action": "cancel_bookings", "_selected_action": [booking.pk]},
    )
    booking.refresh_from_db()
    assert booking.status == "cancelled"


def test_layout_form_opens_on_the_saved_layout():
    from apps.organizer.forms import layout_initial

    grid = [
        ["standard", "standard", "aisle", "standard", "standard", "standard"],
        ["standard", "standard", "aisle", "standard", "standard", "standard"],
        ["premium", "premium", "aisle", "premium", "premium", "premium"],
    ]
    assert layout_initial(grid) == {
        "rows": 3,
        "seats_per_row": 5,
        "aisles_after": "2",
        "default_category": "standard",
        "row_categories": "C premium",
    }
    assert layout_initial([]) == {}
