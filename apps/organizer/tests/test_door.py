"""The door scanner page `/organizer/checkin/<slot>/`: the door's own access rule (scanners
in, customers out, other organizers' showtimes not found) and what the page is made of."""

import re

import pytest
from django.urls import reverse

from apps.accounts.models import TeamMember, TeamRole
from tests.support.fixtures import *  # noqa: F403
from tests.support.fixtures import make_user
from tests.support.showtimes import *  # noqa: F403
from tests.support.showtimes import showtime

pytestmark = pytest.mark.django_db


def page_url(slot) -> str:
    return f"/organizer/checkin/{slot.pk}/"


def member(organizer, email: str, role: str):
    user = make_user(email, "customer")
    TeamMember.objects.create(organizer=organizer, user=user, role=role)
    return user


@pytest.fixture
def scanner(organizer):
    return member(organizer, "scanner@example.org", TeamRole.SCANNER)


def get(client, user, slot):
    client.force_login(user)
    return client.get(page_url(slot))


def test_the_url_is_named():
    assert reverse("organizer:checkin", args=[7]) == "/organizer/checkin/7/"


def test_a_scanner_opens_the_door_page_without_the_portal_links(client, scanner, reserved_slot):
    response = get(client, scanner, reserved_slot)
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-slot-id="{reserved_slot.pk}"' in page
    assert reserved_slot.event.title in page
    # Scanners cannot open the rest of the portal, so it offers them no links there.
    assert 'aria-label="Organizer portal"' not in page


@pytest.mark.parametrize("role", ["organizer", "manager"])
def test_the_organizer_and_its_managers_open_it_with_the_portal_links(
    client, organizer, reserved_slot, role
):
    user = organizer if role == "organizer" else member(organizer, "m@example.org", "manager")
    response = get(client, user, reserved_slot)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'aria-label="Organizer portal"' in page
    assert page.count('id="door"') == 1


def test_a_customer_gets_403(client, customer, reserved_slot):
    assert get(client, customer, reserved_slot).status_code == 403


def test_anonymous_visitors_log_in_first(client, reserved_slot):
    response = client.get(page_url(reserved_slot))
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/organizer/checkin/{reserved_slot.pk}/"


def test_another_organizers_showtime_is_404(client, other_organizer, reserved_slot):
    assert get(client, other_organizer, reserved_slot).status_code == 404
    rival_scanner = member(other_organizer, "rival-scanner@example.org", TeamRole.SCANNER)
    assert get(client, rival_scanner, reserved_slot).status_code == 404
    client.force_login(rival_scanner)
    assert client.get("/organizer/checkin/999999/").status_code == 404


def test_the_page_has_named_fields_live_regions_and_its_script(client, scanner, reserved_slot):
    page = get(client, scanner, reserved_slot).content.decode()
    for field_id, name in (
        ("door-code", "Booking reference or ticket code"),
        ("door-gate", "Gate"),
    ):
        assert re.search(rf'<label for="{field_id}">{name}</label>', page), name
        assert f'id="{field_id}"' in page
    assert re.search(r'<button type="submit"[^>]*>Check in</button>', page)
    assert re.search(r'<button type="button"[^>]*id="door-camera-toggle"[^>]*>Start camera<', page)
    result = re.search(r'<div class="door-result"[^>]*>', page).group(0)
    assert 'role="status"' in result and "aria-live" in result
    assert 'role="progressbar"' in page and 'aria-labelledby="door-count-title"' in page
    assert re.search(r'<script src="/static/js/scanner\.js[^"]*" defer>', page)
    assert "/static/vendor/jsqr/jsQR" in page  # loaded by the script only when needed
    assert "<script>" not in page  # the CSP forbids inline scripts
    assert 'name="direction"' not in page  # no re-entry: no exit scans


def test_the_page_shows_the_figures_and_exit_scans_with_reentry(client, scanner, reserved_slot):
    from apps.checkin import services as checkin

    checkin.checkin_rules_set(event=reserved_slot.event, reentry=True)
    page = get(client, scanner, reserved_slot).content.decode()
    assert 'name="direction" value="out"' in page
    assert re.search(r"<strong data-checked-in>0</strong>", page)
    assert re.search(r"<strong data-expected>0</strong>", page)


def test_the_portal_links_each_showtime_to_its_door(client, organizer, reserved_slot):
    client.force_login(organizer)
    dashboard = client.get("/organizer/").content.decode()
    assert f'href="/organizer/checkin/{reserved_slot.pk}/"' in dashboard
    bookings = client.get(f"/organizer/slots/{reserved_slot.pk}/bookings/").content.decode()
    assert f'href="/organizer/checkin/{reserved_slot.pk}/"' in bookings


def test_the_door_index_lists_the_teams_showtimes_soonest_first(
    client, scanner, organizer, other_organizer, event, screen, reserved_slot
):
    from datetime import timedelta

    later = showtime(event, screen, starts_in=timedelta(days=3))
    showtime(event, screen, starts_in=timedelta(days=30))  # beyond the index's days
    client.force_login(scanner)
    response = client.get("/organizer/checkin/")
    assert response.status_code == 200
    page = response.content.decode()
    links = re.findall(r'href="/organizer/checkin/(\d+)/"', page)
    assert links == [str(reserved_slot.pk), str(later.pk)]
    assert 'aria-label="Organizer portal"' not in page
    # The site's header leads a scanner to the door.
    assert 'href="/organizer/checkin/">Door</a>' in page


def test_the_door_index_is_for_staff_only(client, customer, other_organizer, reserved_slot):
    client.force_login(customer)
    assert client.get("/organizer/checkin/").status_code == 403
    assert 'href="/organizer/checkin/">Door' not in client.get("/").content.decode()
    client.force_login(other_organizer)
    page = client.get("/organizer/checkin/").content.decode()
    assert f"/organizer/checkin/{reserved_slot.pk}/" not in page
    client.logout()
    assert client.get("/organizer/checkin/").status_code == 302
