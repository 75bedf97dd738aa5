"""An event's ticket types in the portal: the page lists them, replaces them through the
service, keeps what was typed when it refuses, sets a showtime's own prices of the further
types, and is the event's organizer's (and its managers') only."""

import re
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest

from apps.accounts.models import TeamMember, TeamRole
from apps.catalog import services as catalog
from apps.catalog.models import EventStatus, EventType
from apps.scheduling.services import ticket_types_set
from apps.scheduling.ticket_types import event_types, slot_ticket_types
from tests.support.fixtures import *  # noqa: F403
from tests.support.fixtures import make_user
from tests.support.showtimes import *  # noqa: F403
from tests.support.showtimes import showtime

pytestmark = pytest.mark.django_db

CHILD = {"standard": "6.00", "premium": "9.00"}


def page_url(event) -> str:
    return f"/organizer/events/{event.pk}/ticket-types/"


def slot_url(event, slot) -> str:
    return f"/organizer/events/{event.pk}/ticket-types/slots/{slot.pk}/"


def member(organizer, email: str, role: str):
    user = make_user(email, "customer")
    TeamMember.objects.create(organizer=organizer, user=user, role=role)
    return user


def textarea(html: str, name: str) -> str:
    found = re.search(rf'<textarea name="{name}"[^>]*>(.*?)</textarea>', html, re.S)
    assert found, f"no textarea {name}"
    return unescape(found.group(1)).strip()


def slot_part(html: str, slot) -> str:
    found = re.search(rf'<article id="slot-{slot.pk}".*?</article>', html, re.S)
    assert found, f"no showtime {slot.pk} on the page"
    return found.group(0)


def row(html: str, code: str) -> list[str]:
    """The cells of a type's row, their tags stripped."""
    found = re.search(rf'<tr data-type="{code}">(.*?)</tr>', html, re.S)
    assert found, f"no row {code}"
    cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", found.group(1), re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells]


@pytest.fixture
def typed(event):
    """The event sells adults (each showtime's prices), children and seniors."""
    ticket_types_set(
        event=event,
        types=[
            {"code": "adult", "name": "Adult"},
            {"code": "child", "name": "Child", "prices": CHILD},
            {"code": "senior", "name": "Senior", "prices": {"standard": "7.00"}},
        ],
    )
    return event


# --- the list


def test_the_event_list_links_to_the_page_and_it_lists_the_types(client, organizer, typed):
    client.force_login(organizer)
    assert f'href="{page_url(typed)}"' in client.get("/organizer/events/").content.decode()
    html = client.get(page_url(typed)).content.decode()
    assert re.findall(r'<tr data-type="(\w+)">', html) == ["adult", "child", "senior"]
    assert row(html, "adult") == ["adult", "Adult", "each showtime's own prices"]
    assert row(html, "child") == ["child", "Child", "9.00", "6.00"]  # premium, standard
    assert row(html, "senior") == ["senior", "Senior", "not sold", "7.00"]
    assert textarea(html, "types").splitlines() == [
        "adult | Adult",
        "child | Child | premium 9.00, standard 6.00",
        "senior | Senior | standard 7.00",
    ]


def test_an_event_without_types_starts_the_form_with_adult(client, organizer, event):
    client.force_login(organizer)
    html = client.get(page_url(event)).content.decode()
    assert "No ticket types yet" in html
    assert textarea(html, "types") == "adult | Adult"


# --- replacing them


def test_replacing_the_types(client, organizer, typed):
    client.force_login(organizer)
    text = "full | Full price\r\n\r\nstudent | Student | Standard 5.5, premium 8\r\n"
    response = client.post(page_url(typed), {"types": text})
    assert response.status_code == 302 and response["Location"] == page_url(typed)
    assert event_types(typed.pk) == [
        ("full", "Full price", {}),
        ("student", "Student", {"standard": "5.50", "premium": "8.00"}),
    ]
    html = client.get(page_url(typed)).content.decode()
    assert "Ticket types saved: Full price, Student." in html
    assert re.findall(r'<tr data-type="(\w+)">', html) == ["full", "student"]


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("adult | Adult\nchild Child standard 6.00", "Line 2: “child Child standard 6.00” is not"),
        ("adult | Adult\nchild | Child | standard six", "Line 2: “six” is not an amount"),
        ("adult | Adult\nchild | Child | standard 6.001", "a price is to the cent"),
        ("adult | Adult\nKid Stuff | Child", "Line 2: “Kid Stuff” is not a code"),
    ],
)
def test_a_bad_line_is_refused_and_the_text_kept(client, organizer, typed, text, error):
    client.force_login(organizer)
    response = client.post(page_url(typed), {"types": text})
    html = response.content.decode()
    assert response.status_code == 200
    assert error in unescape(html)
    assert textarea(html, "types") == text
    assert [code for code, _, _ in event_types(typed.pk)] == ["adult", "child", "senior"]


def test_the_services_refusal_of_a_first_line_with_prices_is_shown(client, organizer, typed):
    client.force_login(organizer)
    text = "adult | Adult | standard 10.00\nchild | Child | standard 5.00"
    response = client.post(page_url(typed), {"types": text})
    html = unescape(response.content.decode())
    assert response.status_code == 200
    assert "The first ticket type (adult) is the full price" in html
    assert textarea(response.content.decode(), "types") == text
    assert [code for code, _, _ in event_types(typed.pk)] == ["adult", "child", "senior"]


# --- a showtime's own prices


def test_a_showtime_sets_its_own_price_of_a_type(client, organizer, typed, reserved_slot):
    client.force_login(organizer)
    html = client.get(page_url(typed)).content.decode()
    part = slot_part(html, reserved_slot)
    assert row(part, "adult") == ["Adult", "15.00", "10.00"]  # its own prices
    assert row(part, "child") == ["Child", "9.00", "6.00"]  # the event's
    field = f"slot-{reserved_slot.pk}-type_prices"
    assert textarea(part, field) == ""

    response = client.post(slot_url(typed, reserved_slot), {field: "child: standard 4.00"})
    assert response.status_code == 302
    assert response["Location"] == f"{page_url(typed)}#slot-{reserved_slot.pk}"
    reserved_slot.refresh_from_db()
    assert reserved_slot.type_prices == {"child": {"standard": "4.00"}}
    base = {p.category: p.price for p in reserved_slot.prices.all()}
    child = {t.code: t for t in slot_ticket_types(reserved_slot, base)}["child"]
    assert child.prices == {"standard": Decimal("4.00"), "premium": Decimal("9.00")}

    part = slot_part(client.get(page_url(typed)).content.decode(), reserved_slot)
    assert row(part, "child") == ["Child", "9.00", "4.00 own"]
    assert textarea(part, field) == "child: standard 4.00"
    # Emptied, the showtime sells at the event's prices again.
    client.post(slot_url(typed, reserved_slot), {field: ""})
    reserved_slot.refresh_from_db()
    assert reserved_slot.type_prices == {}


def test_a_showtime_refusal_is_shown_and_the_text_kept(client, organizer, typed, reserved_slot):
    client.force_login(organizer)
    field = f"slot-{reserved_slot.pk}-type_prices"
    for text, error in (
        ("adult: standard 4.00", "Only the event's further ticket types"),  # the service's
        ("child standard 4.00", "Line 1: “child standard 4.00” is not"),  # the form's
    ):
        response = client.post(slot_url(typed, reserved_slot), {field: text})
        assert response.status_code == 200
        part = slot_part(response.content.decode(), reserved_slot)
        assert error in unescape(part)
        assert textarea(part, field) == text
    reserved_slot.refresh_from_db()
    assert reserved_slot.type_prices == {}


def test_an_event_with_one_type_has_no_showtime_forms(client, organizer, event, reserved_slot):
    client.force_login(organizer)
    html = client.get(page_url(event)).content.decode()
    part = slot_part(html, reserved_slot)
    assert row(part, "standard") == ["Standard", "15.00", "10.00"]
    assert "<form" not in part and "Add a further ticket type" in html


# --- who may use it


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("organizer", 200),
        ("manager", 200),
        ("admin_user", 200),
        ("scanner", 403),
        ("customer", 403),
        ("other_organizer", 404),
    ],
)
def test_the_organizer_and_its_managers_only(
    client, request, organizer, typed, reserved_slot, who, status
):
    if who in ("manager", "scanner"):
        user = member(organizer, f"{who}@example.org", getattr(TeamRole, who.upper()))
    else:
        user = request.getfixturevalue(who)
    client.force_login(user)
    assert client.get(page_url(typed)).status_code == status
    own = client.post(
        slot_url(typed, reserved_slot), {f"slot-{reserved_slot.pk}-type_prices": "child: a 1"}
    )
    replaced = client.post(page_url(typed), {"types": "x | X"})
    if status == 200:
        assert (replaced.status_code, own.status_code) == (302, 302)
        return
    assert (replaced.status_code, own.status_code) == (status, status)
    assert [code for code, _, _ in event_types(typed.pk)] == ["adult", "child", "senior"]
    reserved_slot.refresh_from_db()
    assert reserved_slot.type_prices == {}


def test_a_showtime_of_another_event_is_404(client, organizer, typed, screen):
    other = catalog.event_create(
        organizer=organizer, type=EventType.MOVIE, title="Other", city="Lisbon",
        status=EventStatus.PUBLISHED, movie=typed.movie,
    )  # fmt: skip
    slot = showtime(other, screen, starts_in=timedelta(days=3))
    client.force_login(organizer)
    field = f"slot-{slot.pk}-type_prices"
    assert client.post(slot_url(typed, slot), {field: "child: standard 1"}).status_code == 404


def test_anonymous_visitors_log_in_first(client, typed, reserved_slot):
    response = client.get(page_url(typed))
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={page_url(typed)}"
    assert client.post(page_url(typed), {"types": "x | X"}).status_code == 302
    assert client.post(slot_url(typed, reserved_slot)).status_code == 302
    assert [code for code, _, _ in event_types(typed.pk)] == ["adult", "child", "senior"]
