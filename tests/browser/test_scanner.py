# ruff: noqa: E501  (the manage.py shell snippets read best on one line each)
"""The door scanner in a real browser: a fake camera shows a ticket's QR code, a typed
reference, "already in", an offline spell judged on the device and uploaded after."""

import io
import json
import re
import secrets

import pytest
import segno
from PIL import Image
from playwright.sync_api import expect

from tests.support.demo import DEMO_PASSWORD, ORGANIZER_EMAIL

from .conftest import CHROMIUM, CHROMIUM_ARGS, assert_accessible, login, screenshot

WIDTH, HEIGHT = 640, 480


def write_y4m(path, text: str, frames: int = 30) -> None:
    """A YUV4MPEG2 video of `text`'s QR code, large, with its quiet zone, on a white frame."""
    png = io.BytesIO()
    segno.make(text, error="m", micro=False).save(png, kind="png", scale=10, border=4)
    code = Image.open(io.BytesIO(png.getvalue())).convert("L")
    frame = Image.new("L", (WIDTH, HEIGHT), 255)
    frame.paste(code, ((WIDTH - code.width) // 2, (HEIGHT - code.height) // 2))
    luma = frame.tobytes()  # grey: Y is the picture, U and V stay neutral
    chroma = bytes([128]) * ((WIDTH // 2) * (HEIGHT // 2))
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + luma + chroma + chroma)


@pytest.fixture
def door(site):
    """A showtime of the demo organizer whose door is open now, three one-ticket bookings
    and a scanner on the organizer's team."""
    scanner = f"scanner-{secrets.token_hex(3)}@venue.test"
    out = site.shell(
        "import json\n"
        "from datetime import timedelta\n"
        "from decimal import Decimal\n"
        "from django.utils import timezone\n"
        "from apps.accounts.models import TeamMember, User\n"
        "from apps.bookings.tickets import qr_text\n"
        "from apps.catalog import services as catalog\n"
        "from apps.catalog.models import Event\n"
        "from apps.scheduling.services import slot_create\n"
        "from tests.support.booking import book\n"
        "from tests.support.demo import fresh_customer\n"
        f"org = User.objects.get(email={ORGANIZER_EMAIL!r})\n"
        # A buyer of its own: the event below is the organizer's first, whichever that
        # is, and the demo customer may have only 4 tickets of the concert.
        "fan = fresh_customer('door-fan')\n"
        f"member = User.objects.create_user({scanner!r}, {DEMO_PASSWORD!r}, full_name='Door Scanner')\n"
        "TeamMember.objects.create(organizer=org, user=member, role='scanner')\n"
        f"venue = catalog.venue_create(organizer=org, name='Door Hall {scanner[8:14]}', city='Porto', timezone='Europe/Lisbon')\n"
        "screen = catalog.screen_create(venue=venue, name='Main Floor')\n"
        "event = Event.objects.filter(organizer=org).first()\n"
        "start = timezone.now() + timedelta(hours=1)\n"
        "slot = slot_create(event=event, screen=screen, starts_at=start, ends_at=start + timedelta(hours=2), seating='general', capacity=50, prices={'general': Decimal('12.00')})\n"
        "bookings = [book(fan, slot.pk, quantity=1) for _ in range(3)]\n"
        "print(json.dumps({'slot': slot.pk, 'refs': [b.reference for b in bookings], 'qrs': [qr_text(b.tickets.get()) for b in bookings]}))"
    )
    return {**json.loads(out), "scanner": scanner}


@pytest.fixture
def camera_page(browser, site, console, door, tmp_path):
    """A page in a Chromium whose camera films the first ticket's QR code."""
    video = tmp_path / "ticket.y4m"
    write_y4m(video, door["qrs"][0])
    camera = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
        timeout=30_000,
    )
    context = camera.new_context(base_url=site.base_url, viewport={"width": 412, "height": 915})
    context.grant_permissions(["camera"])
    context.set_default_timeout(10_000)
    try:
        yield console.watch(context.new_page())
    finally:
        context.close()
        camera.close()


def scans_of(site, slot_id: int) -> list:
    return json.loads(
        site.shell(
            "import json\n"
            "from apps.checkin.models import Scan\n"
            f"print(json.dumps([[s.ticket.booking.reference if s.ticket else None, s.gate, s.result, s.offline] for s in Scan.objects.filter(slot_id={slot_id}).select_related('ticket__booking').order_by('id')]))"
        )
    )


def test_the_door_scanner(camera_page, site, console, door):
    console.allow("status of 409")  # "already in": the browser logs refusals
    console.allow("status of 400")  # "forged"
    page = camera_page
    slot, refs, qrs = door["slot"], door["refs"], door["qrs"]
    login(page, door["scanner"], next_path=f"/organizer/checkin/{slot}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Door:")
    result = page.locator("#door-result")
    title = result.locator("[data-result-title]")
    detail = result.locator("[data-result-detail]")
    expect(page.locator("[data-live-state]")).to_have_text("live count")
    expect(page.locator("[data-expected]")).to_have_text("3")
    # The offline list is on the device as soon as the page is up.
    page.wait_for_function(f"() => localStorage.getItem('venue.door.list.{slot}') !== null")

    # The camera reads the first ticket (jsQR here: Linux Chromium has no BarcodeDetector).
    page.get_by_label("Gate").fill("North")
    page.get_by_role("button", name="Start camera").click()
    expect(result).to_have_attribute("data-result", "yes", timeout=20_000)
    expect(title).to_have_text("Admitted")
    expect(detail).to_contain_text(refs[0])
    expect(page.locator("[data-checked-in]")).to_have_text("1")
    expect(page.locator("[data-bar]")).to_have_attribute("aria-valuenow", "1")
    decoder = page.locator("#door").get_attribute("data-decoder")
    assert decoder in ("jsQR", "BarcodeDetector")
    print(f"camera decoder: {decoder}")
    screenshot(page, "49-door-camera-admitted")
    # Held in front of the camera, the same code is not sent again.
    page.wait_for_timeout(1500)
    expect(title).to_have_text("Admitted")
    page.get_by_role("button", name="Stop camera").click()
    assert [s[0] for s in scans_of(site, slot)] == [refs[0]]

    # A typed booking reference, submitted with Enter.
    page.get_by_label("Booking reference or ticket code").fill(refs[1].lower())
    page.get_by_label("Booking reference or ticket code").press("Enter")
    expect(detail).to_contain_text(refs[1])
    expect(title).to_have_text("Admitted")
    expect(page.locator("[data-checked-in]")).to_have_text("2")
    expect(page.get_by_label("Booking reference or ticket code")).to_have_value("")
    expect(page.get_by_label("Booking reference or ticket code")).to_be_focused()

    # A forged code is refused as such.
    code = page.get_by_label("Booking reference or ticket code")
    code.fill(qrs[1][:-1] + ("A" if qrs[1][-1] != "A" else "B"))
    code.press("Enter")
    expect(title).to_have_text("Forged or unreadable")
    expect(result).to_have_attribute("data-result", "no")

    # The first ticket again: already in, with when and where.
    page.get_by_role("button", name="Start camera").click()
    expect(title).to_have_text("Already in", timeout=20_000)
    expect(result).to_have_attribute("data-result", "stop")
    expect(detail).to_contain_text(re.compile(r"Came in at \d\d:\d\d through North"))
    page.get_by_role("button", name="Stop camera").click()
    screenshot(page, "50-door-already-in")
    assert_accessible(page)  # also loads axe-core now, while the page can fetch it

    # Offline: the third ticket's code (pasted) is judged on the device and queued.
    page.context.set_offline(True)
    banner = page.locator("#door-offline")
    expect(banner).to_be_visible()
    code.fill(qrs[2])
    code.press("Enter")
    expect(title).to_have_text("Admitted")
    expect(detail).to_contain_text(refs[2])
    expect(result.locator("[data-result-note]")).to_have_text(
        "Offline, not yet confirmed by the server."
    )
    expect(banner).to_contain_text("1 scan waiting to upload")
    # The first ticket, marked in on this device when the server admitted it.
    code.fill(qrs[0])
    code.press("Enter")
    expect(title).to_have_text("Already in")
    expect(banner).to_contain_text("1 scan waiting to upload")
    assert_accessible(page)
    screenshot(page, "51-door-offline")

    # Back online: the queue goes up, the banner goes, the server has the scan.
    page.context.set_offline(False)
    expect(banner).to_be_hidden(timeout=15_000)
    expect(page.locator("[data-upload-summary]")).to_have_text(
        "Uploaded 1 offline scan: all confirmed."
    )
    assert scans_of(site, slot) == [
        [refs[0], "North", "admitted", False],
        [refs[1], "North", "admitted", False],
        [None, "North", "invalid_ticket", False],
        [refs[0], "North", "already_checked_in", False],
        [refs[2], "North", "admitted", True],
    ]
    expect(page.locator("[data-checked-in]")).to_have_text("3")
    assert page.evaluate(f"() => JSON.parse(localStorage.getItem('venue.door.queue.{slot}'))") == []
    assert_accessible(page)
    screenshot(page, "52-door-back-online")


def test_the_count_falls_back_to_polling_without_the_socket(new_page, site, door):
    page = new_page(viewport={"width": 412, "height": 915})
    page.route_web_socket("**/ws/checkin/**", lambda socket: socket.close())
    slot = door["slot"]
    login(page, door["scanner"], next_path=f"/organizer/checkin/{slot}/")
    expect(page.locator("[data-live-state]")).to_have_text("count updated every 10 s")
    expect(page.locator("[data-checked-in]")).to_have_text("0")
    # Another gate admits a ticket: the next poll shows it.
    site.shell(
        "from apps.accounts.models import User\n"
        "from apps.checkin import services\n"
        "from apps.scheduling.models import Slot\n"
        f"staff = User.objects.get(email={door['scanner']!r})\n"
        f"print(services.ticket_scan(staff=staff, slot=Slot.objects.get(pk={slot}), code={door['qrs'][1]!r}, gate='South').result)"
    )
    expect(page.locator("[data-checked-in]")).to_have_text("1", timeout=15_000)
