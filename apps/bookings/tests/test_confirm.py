from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from apps.bookings import errors, selectors, services, tickets
from apps.bookings.models import (
    Booking,
    Hold,
    IdempotencyRecord,
    Payment,
    SeatClaim,
    TestProviderCharge,
)
from apps.bookings.payments import ChargeResult, TestProvider
from apps.catalog.models import Event, EventStatus
from apps.scheduling.models import Slot, SlotStatus
from tests.support.booking import confirm_body, pay

pytestmark = pytest.mark.django_db


def confirm(user, hold, token="ok", key="key-1"):
    """Pay for `hold`; one Idempotency-Key for the whole test unless told otherwise."""
    return pay(user, hold.pk, key=key, token=token)


@pytest.fixture
def held(customer, reserved_slot, seat_ids):
    return services.hold_create(user=customer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:2])


def test_confirm_books_the_held_seats(
    customer, held, reserved_slot, seat_ids, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        outcome = confirm(customer, held)
    assert outcome.status == 201
    booking = Booking.objects.get(pk=outcome.body["id"])
    assert outcome.body["reference"] == booking.reference
    assert outcome.body["status"] == "confirmed"
    assert outcome.body["seats"] == sorted(seat_ids[:2])
    assert booking.total == Decimal("20.00")
    assert booking.tickets.count() == 2
    assert not Hold.objects.filter(pk=held.pk).exists()
    assert selectors.seat_statuses(reserved_slot) == dict.fromkeys(seat_ids[:2], "booked")
    payment = Payment.objects.get(booking=booking)
    assert payment.status == Payment.Status.SUCCEEDED
    assert TestProviderCharge.objects.get(ref=payment.provider_ref).amount == Decimal("20.00")
    assert len(mail.outbox) == 1 and booking.reference in mail.outbox[0].subject


def test_reference_is_short_and_unambiguous(customer, held):
    reference = confirm(customer, held).body["reference"]
    assert len(reference) == 8
    assert not set(reference) & set("0O1I")


def test_same_key_replays_the_first_response(customer, held):
    first = confirm(customer, held)
    again = confirm(customer, held)
    assert again.replayed
    assert again.status == first.status == 201
    assert again.body == first.body
    assert Booking.objects.count() == 1
    assert TestProviderCharge.objects.count() == 1


def test_same_key_with_another_body_is_422(customer, held, general_slot):
    confirm(customer, held)
    other = services.hold_create(user=customer, slot_id=general_slot.pk, quantity=1)
    with pytest.raises(errors.IdempotencyKeyReused):
        confirm(customer, other)


def test_a_key_still_in_progress_is_409(customer, held):
    IdempotencyRecord.objects.create(
        user=customer,
        key="key-1",
        request_hash=services.request_fingerprint(confirm_body(held.pk)),
    )
    with pytest.raises(errors.RequestInProgress):
        confirm(customer, held)


def test_keys_are_scoped_to_the_user(customer, organizer, reserved_slot, seat_ids, held):
    confirm(customer, held)
    other = services.hold_create(user=organizer, slot_id=reserved_slot.pk, seat_ids=seat_ids[4:5])
    assert confirm(organizer, other).status == 201


def test_keys_expire_after_24_hours(customer, held, general_slot):
    confirm(customer, held)
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    other = services.hold_create(user=customer, slot_id=general_slot.pk, quantity=1)
    assert confirm(customer, other).status == 201
    assert services.idempotency_purge() == 0


def test_declined_payment_keeps_the_hold(customer, held):
    with pytest.raises(errors.PaymentDeclined):
        confirm(customer, held, token="decline")
    assert Hold.objects.filter(pk=held.pk).exists()
    assert Payment.objects.get().status == Payment.Status.FAILED
    assert not Booking.objects.exists()
    # The decline is the key's answer; a new attempt uses a new key.
    again = confirm(customer, held, token="decline")
    assert again.replayed and again.status == 402
    assert again.body["error"]["code"] == "payment_declined"
    assert confirm(customer, held, key="key-2").status == 201


def test_provider_outage_books_nothing_and_frees_the_key(customer, held):
    with pytest.raises(errors.PaymentProviderError):
        confirm(customer, held, token="error")
    assert not Booking.objects.exists()
    assert not IdempotencyRecord.objects.exists()
    assert Hold.objects.filter(pk=held.pk).exists()


def test_expired_hold_is_410(customer, held):
    Hold.objects.filter(pk=held.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(errors.HoldExpired):
        confirm(customer, held)
    assert not Payment.objects.exists()
    assert not TestProviderCharge.objects.exists()
    # The refusal is the key's answer: a repeat replays it.
    again = confirm(customer, held)
    assert again.replayed and again.status == 410
    assert again.body["error"]["code"] == "hold_expired"


def test_someone_elses_hold_is_not_found(organizer, held):
    with pytest.raises(errors.HoldNotFound):
        confirm(organizer, held)
    again = confirm(organizer, held)
    assert again.replayed and again.status == 404


def test_a_key_claimed_by_a_request_that_rolled_back_is_free(customer, held, monkeypatch):
    """The claim, the hold check and the pending payment commit together or not at all."""

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Payment.objects, "create", broken)
    with pytest.raises(RuntimeError):
        confirm(customer, held)
    assert not IdempotencyRecord.objects.exists()
    monkeypatch.undo()
    assert confirm(customer, held).status == 201


def test_general_admission_booking_has_one_ticket_per_place(customer, general_slot):
    hold = services.hold_create(user=customer, slot_id=general_slot.pk, quantity=3)
    outcome = confirm(customer, hold)
    booking = Booking.objects.get(pk=outcome.body["id"])
    assert [t.number for t in booking.tickets.all()] == [1, 2, 3]
    assert outcome.body["seats"] == []
    assert selectors.slot_available(general_slot.pk) == 27


def test_ticket_qr_carries_a_short_signed_ticket_id(customer, held):
    booking = Booking.objects.get(pk=confirm(customer, held).body["id"])
    payload = selectors.booking_payload(booking, with_qr=True)
    assert len(payload["tickets"]) == 2
    ticket = booking.tickets.first()
    body = payload["tickets"][0]
    assert body["status"] == "valid"
    assert body["qr"] == tickets.qr_text(ticket)
    assert len(body["qr"]) <= 30 and body["qr"] == body["qr"].upper()  # QR alphanumeric mode
    ticket_id, mac = tickets.ticket_id_from_qr(body["qr"])
    assert ticket_id == ticket.pk and tickets.qr_matches(ticket, mac)
    forged = body["qr"][:-2] + ("AA" if not body["qr"].endswith("AA") else "BB")
    assert not tickets.qr_matches(ticket, tickets.ticket_id_from_qr(forged)[1])
    assert tickets.ticket_id_from_qr("not a ticket") is None
    assert body["qr_svg"].startswith("data:image/svg+xml")


# --- crash points between charge and booking


class CrashAfterCharge(Exception):
    pass


def after_charge(monkeypatch, effect) -> None:
    """Let the test provider charge, then run `effect` (what happens while paying)."""
    real_charge = TestProvider.charge

    def charge(self, **kwargs):
        result = real_charge(self, **kwargs)
        effect()
        return result

    monkeypatch.setattr(TestProvider, "charge", charge)


def test_crash_after_charge_before_recording_is_reconciled_into_a_booking(
    customer, held, monkeypatch
):
    def crash():
        raise CrashAfterCharge()

    after_charge(monkeypatch, crash)
    with pytest.raises(CrashAfterCharge):
        confirm(customer, held)
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.PENDING
    assert TestProviderCharge.objects.count() == 1  # money taken, booking not written
    assert SeatClaim.objects.filter(hold=held).count() == 2  # seats still held
    monkeypatch.undo()

    assert services.payments_reconcile(older_than=timedelta(0)) == 1
    payment.refresh_from_db()
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.booking.status == "confirmed"
    # The client's retry with the same key now gets the booking.
    again = confirm(customer, held)
    assert again.replayed and again.body["id"] == payment.booking_id


@pytest.mark.parametrize(
    ("meanwhile", "answer"),
    [
        (
            lambda hold: Hold.objects.filter(pk=hold.pk).update(
                expires_at=timezone.now() - timedelta(seconds=1)
            ),
            410,
        ),
        (
            lambda hold: Slot.objects.filter(pk=hold.slot_id).update(status=SlotStatus.CANCELLED),
            409,
        ),
    ],
    ids=["hold expired", "showtime cancelled"],
)
def test_crash_after_charge_recorded_then_unbookable_is_refunded(
    customer, held, monkeypatch, meanwhile, answer
):
    def crash(payment):
        raise CrashAfterCharge()

    monkeypatch.setattr(services.settle, "_booking_finalize", crash)
    with pytest.raises(CrashAfterCharge):
        confirm(customer, held)
    monkeypatch.undo()
    payment = Payment.objects.get()
    assert payment.status == Payment.Status.CHARGED
    meanwhile(held)

    assert services.payments_reconcile(older_than=timedelta(0)) == 1
    payment.refresh_from_db()
    assert payment.status == Payment.Status.REFUNDED
    assert TestProviderCharge.objects.get().refunded
    assert not Booking.objects.exists()
    replay = confirm(customer, held)
    assert replay.replayed and replay.status == answer


def test_crash_before_charge_is_failed_by_reconcile(customer, held, monkeypatch):
    def crash(self, **kwargs):
        raise CrashAfterCharge()

    monkeypatch.setattr(TestProvider, "charge", crash)
    with pytest.raises(CrashAfterCharge):
        confirm(customer, held)
    monkeypatch.undo()
    assert services.payments_reconcile(older_than=timedelta(0)) == 1
    assert Payment.objects.get().status == Payment.Status.FAILED
    assert not IdempotencyRecord.objects.exists()  # the client may retry with the key
    assert confirm(customer, held).status == 201


def test_hold_expiring_while_paying_is_refunded(customer, held, monkeypatch):
    after_charge(
        monkeypatch,
        lambda: Hold.objects.filter(pk=held.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        ),
    )
    with pytest.raises(errors.HoldExpired):
        confirm(customer, held)
    assert Payment.objects.get().status == Payment.Status.REFUNDED
    assert TestProviderCharge.objects.get().refunded


@pytest.mark.parametrize(
    "stop_sales",
    [
        lambda slot: Slot.objects.filter(pk=slot.pk).update(status=SlotStatus.CANCELLED),
        lambda slot: Event.objects.filter(pk=slot.event_id).update(status=EventStatus.CANCELLED),
        lambda slot: Slot.objects.filter(pk=slot.pk).update(
            starts_at=timezone.now() - timedelta(minutes=1)
        ),
        lambda slot: Slot.objects.filter(pk=slot.pk).update(
            sales_open_at=timezone.now() - timedelta(hours=1),
            sales_close_at=timezone.now() - timedelta(minutes=1),
        ),
    ],
    ids=["slot cancelled", "event cancelled", "showtime started", "sales closed"],
)
def test_a_showtime_that_stopped_taking_bookings_is_not_charged(
    customer, held, reserved_slot, stop_sales
):
    stop_sales(reserved_slot)
    with pytest.raises(errors.SlotNotOnSale):
        confirm(customer, held)
    assert not Payment.objects.exists()
    assert not TestProviderCharge.objects.exists()
    assert not Booking.objects.exists()
    again = confirm(customer, held)
    assert again.replayed and again.status == 409
    assert again.body["error"]["code"] == "slot_not_on_sale"


def test_a_showtime_cancelled_while_paying_is_refunded(customer, held, reserved_slot, monkeypatch):
    after_charge(
        monkeypatch,
        lambda: Slot.objects.filter(pk=reserved_slot.pk).update(status=SlotStatus.CANCELLED),
    )
    with pytest.raises(errors.SlotNotOnSale):
        confirm(customer, held)
    assert not Booking.objects.exists()
    assert Payment.objects.get().status == Payment.Status.REFUNDED
    assert TestProviderCharge.objects.get().refunded
    assert IdempotencyRecord.objects.get().response_status == 409


def test_charge_result_is_a_value():
    assert ChargeResult(ok=True, ref="r") == ChargeResult(ok=True, ref="r")


def test_a_hold_whose_seats_were_cleared_as_expired_is_refunded_not_booked(
    customer, organizer, held, reserved_slot, seat_ids, monkeypatch
):
    """The charge takes long, the hold lapses, another buyer takes a seat, then the
    hold's expiry is pushed back (clock skew): the booking must not be written."""

    def lapse_lose_a_seat_and_come_back():
        past = timezone.now() - timedelta(seconds=1)
        Hold.objects.filter(pk=held.pk).update(expires_at=past)
        SeatClaim.objects.filter(hold=held).update(expires_at=past)
        services.hold_create(user=organizer, slot_id=reserved_slot.pk, seat_ids=seat_ids[:1])
        Hold.objects.filter(pk=held.pk).update(expires_at=timezone.now() + timedelta(minutes=1))

    after_charge(monkeypatch, lapse_lose_a_seat_and_come_back)
    with pytest.raises(errors.HoldExpired):
        confirm(customer, held)
    assert not Booking.objects.exists()
    assert Payment.objects.get().status == Payment.Status.REFUNDED
    assert SeatClaim.objects.get(seat_id=seat_ids[0]).hold.user == organizer


@pytest.mark.django_db(transaction=True)
def test_a_failing_after_commit_effect_never_fails_the_booking(customer, held, monkeypatch):
    """The email goes out after commit; an SMTP outage is logged, the booking stands."""
    from apps.bookings import tasks

    def smtp_down(*args, **kwargs):
        raise ConnectionRefusedError("no SMTP server")

    monkeypatch.setattr(tasks, "send_templated", smtp_down)
    outcome = confirm(customer, held)
    assert outcome.status == 201
    assert Booking.objects.filter(pk=outcome.body["id"]).exists()


def test_the_confirmation_email_reads_in_the_venues_time_zone(
    customer, held, reserved_slot, django_capture_on_commit_callbacks
):
    """A 20:00 show in New York is 20:00 in the email, not 01:00 UTC the next day; the
    email has a text and an HTML body, both from templates."""
    from zoneinfo import ZoneInfo

    from apps.catalog.models import Venue

    venue = reserved_slot.screen.venue
    Venue.objects.filter(pk=venue.pk).update(timezone="America/New_York", address="1 Main St")
    local = timezone.localtime(reserved_slot.starts_at, ZoneInfo("America/New_York"))
    with django_capture_on_commit_callbacks(execute=True):
        confirm(customer, held)
    (message,) = mail.outbox
    expected = f"{local:%H:%M} (America/New_York)"
    assert expected in message.body
    assert f"{local.day} " in message.body and "1 Main St" in message.body
    (html, kind) = message.alternatives[0]
    assert kind == "text/html" and expected in html and "<strong>" in html
    utc = timezone.localtime(reserved_slot.starts_at, ZoneInfo("UTC"))
    if utc.hour != local.hour:
        assert f"{utc:%H:%M} (" not in message.body


def test_the_confirmation_email_carries_each_tickets_qr_code(
    customer, held, django_capture_on_commit_callbacks
):
    """The door scans the email: one inline PNG per ticket (multipart/related, shown by
    `cid:`), and each ticket's reference and QR text in the text body."""
    import io

    from PIL import Image

    with django_capture_on_commit_callbacks(execute=True):
        confirm(customer, held)
    (message,) = mail.outbox
    booking = Booking.objects.get()
    ticket_list = list(booking.tickets.order_by("number"))
    html, _ = message.alternatives[0]
    parts = {part["Content-ID"]: part for part in message.message().walk() if part["Content-ID"]}
    # mixed(related(alternative, images), files): the images beside the HTML that shows them.
    assert message.message().get_payload()[0].get_content_subtype() == "related"
    for ticket in ticket_list:
        cid = f"ticket-{booking.reference}-{ticket.number}"
        assert f'src="cid:{cid}"' in html
        png = parts[f"<{cid}>"].get_payload(decode=True)
        image = Image.open(io.BytesIO(png))
        assert image.format == "PNG" and image.size[0] == image.size[1] >= 125
        line = f"{booking.reference}-{ticket.number}, code {tickets.qr_text(ticket)}"
        assert line in message.body
    assert len(parts) == len(ticket_list) == 2


def test_unverified_accounts_hold_but_do_not_pay_when_required(customer, held, settings):
    from apps.accounts import verification

    settings.VENUE_REQUIRE_VERIFIED_EMAIL = True
    with pytest.raises(errors.EmailNotVerified):
        confirm(customer, held)
    verification.verification_send(user=customer, base_url="http://testserver/")
    token = mail.outbox[-1].body.split("/verify-email/")[1].split("/")[0]
    customer = verification.email_verify(token=token)
    assert confirm(customer, held).status == 201
