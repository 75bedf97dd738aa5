"""Writes of the door: scan a ticket, take an offline gate's scans, set the door's rules.

Every scan is recorded, admitted or not. Admission itself is the ticket's move from
`valid` to `used` (`bookings.services.ticket_status_move`, a compare-and-set on the
ticket's row): the row is locked first, so scans of one ticket are judged one after
the other, whatever gate they come from, and a ticket admits once.

Offline gates scan against a downloaded list and upload later (`scans_upload`). The
server then settles what happened at the door: the earliest entry of a ticket is its
admission, any other entry while it was in is a double entry, reported with both
gates. Uploads are idempotent (`client_ref`), so a gate may send the same scans
again after a dropped answer.
"""

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime

from django.db import DatabaseError, transaction

from apps.accounts.models import User
from apps.bookings import services as bookings
from apps.bookings.models import Booking, Ticket
from apps.bookings.tickets import qr_matches, ticket_id_from_qr
from apps.catalog.models import Event
from apps.core.db import db_now
from apps.scheduling.models import Slot

from . import errors, events, selectors
from .models import CheckinRules, CheckinWindow, Scan

logger = logging.getLogger(__name__)
R = Scan.Result
_REFERENCE = re.compile(r"^([A-Z2-9]{8})(?:-(\d{1,3}))?$")


@dataclass
class ScanOutcome:
    result: str
    scan: Scan
    ticket: Ticket | None = None
    details: dict = field(default_factory=dict)
    # The door's counts read once after the scan committed (None if it changed nothing,
    # or the read failed): the answer and the live count share them.
    figures: dict | None = None

    @property
    def admitted(self) -> bool:
        return self.result in (R.ADMITTED, R.EXITED)


_TICKET_FIELDS = (
    "status", "number", "code", "booking__slot_id", "booking__status",
    "booking__reference", "seat__label", "seat__category",
)  # fmt: skip


def _locked_ticket(code: str) -> Ticket | None:
    """The ticket a QR text or a typed booking reference (`ABCD2345` or `ABCD2345-2`)
    names, locked; None if the text proves nothing. A typed reference never names a
    ticket its buyer gave to someone else."""
    text = (code or "").strip().upper()
    # Only what the door judges and answers with: every scan runs this.
    tickets = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("booking", "seat")
        .only(*_TICKET_FIELDS)
    )
    parsed = ticket_id_from_qr(text)
    if parsed is not None:
        ticket_id, mac = parsed
        ticket = next(iter(tickets.filter(pk=ticket_id)), None)
        return ticket if ticket is not None and qr_matches(ticket, mac) else None
    match = _REFERENCE.match(text)
    if match is None:
        return None
    reference, number = match.groups()
    # A ticket given away admits by its (new) QR text only: its buyer knows the reference.
    tickets = tickets.filter(booking__reference=reference, holder__isnull=True).order_by("number")
    if number:
        return tickets.filter(number=int(number)).first()
    # A reference alone: the booking's next ticket not yet in, else its first.
    return tickets.filter(status=Ticket.Status.VALID).first() or tickets.first()


def _admission(ticket: Ticket) -> Scan | None:
    return Scan.objects.filter(ticket=ticket, result=R.ADMITTED).order_by("-scanned_at").first()


def _refusal(ticket: Ticket, slot: Slot, at: datetime) -> tuple[str, dict] | None:
    """Why this ticket may not pass this door at `at`, if it may not."""
    if ticket.booking.slot_id != slot.pk:
        return R.WRONG_SHOWTIME, {}
    if (
        ticket.status == Ticket.Status.CANCELLED
        or ticket.booking.status != Booking.Status.CONFIRMED
    ):
        return R.CANCELLED, {}
    opens, closes = selectors.window_of(slot)
    if not opens <= at <= closes:
        return R.CLOSED, {"opens_at": opens.isoformat(), "closes_at": closes.isoformat()}
    return None


def _enter(ticket: Ticket, scan: Scan) -> tuple[str, dict]:
    """An entry scan, online: admit a valid ticket, else say when and where it came in.
    The ticket's row is locked, so the status read with it is the current one."""
    if ticket.status == Ticket.Status.VALID and bookings.ticket_status_move(
        ticket_id=ticket.pk, to=Ticket.Status.USED, only_from=Ticket.Status.VALID
    ):
        return R.ADMITTED, {}
    first = _admission(ticket)
    return R.ALREADY_IN, _where(first)


def _enter_offline(ticket: Ticket, scan: Scan) -> tuple[str, dict]:
    """An entry the gate already let through: the earliest entry is the admission."""
    if bookings.ticket_status_move(
        ticket_id=ticket.pk, to=Ticket.Status.USED, only_from=Ticket.Status.VALID
    ):
        return R.ADMITTED, {}
    current = _admission(ticket)
    exited_between = (
        current is not None
        and Scan.objects.filter(
            ticket=ticket,
            result=R.EXITED,
            scanned_at__gte=scan.scanned_at,
            scanned_at__lte=current.scanned_at,
        ).exists()
    )
    if current is not None and scan.scanned_at < current.scanned_at and not exited_between:
        # This one came first: it is the admission, the later one the double entry.
        scan.result = R.ADMITTED
        scan.save()
        current.result, current.conflict_with = R.DOUBLE_ENTRY, scan
        current.save(update_fields=["result", "conflict_with"])
        return R.ADMITTED, {}
    scan.conflict_with = current
    return R.DOUBLE_ENTRY, _where(current)


def _exit(ticket: Ticket, slot: Slot) -> tuple[str, dict]:
    if not selectors.reentry_of(slot):
        return R.NO_REENTRY, {}
    if bookings.ticket_status_move(
        ticket_id=ticket.pk, to=Ticket.Status.VALID, only_from=Ticket.Status.USED
    ):
        return R.EXITED, {}
    return R.NOT_IN, {}


def _where(scan: Scan | None) -> dict:
    return {"at": scan.scanned_at.isoformat(), "gate": scan.gate} if scan else {}


def _judge(
    *,
    staff: User,
    slot: Slot,
    code: str,
    gate: str,
    direction: str,
    at: datetime,
    offline: bool,
    client_ref: str,
) -> ScanOutcome:
    ticket = _locked_ticket(code)
    scan = Scan(
        slot=slot,
        ticket=ticket,
        gate=gate,
        staff=staff,
        direction=direction,
        scanned_at=at,
        offline=offline,
        client_ref=client_ref,
        result=R.INVALID,
    )
    details: dict = {}
    if ticket is not None:
        refusal = _refusal(ticket, slot, at)
        if refusal is not None:
            scan.result, details = refusal
            if scan.result == R.WRONG_SHOWTIME:
                scan.ticket = None  # not this door's ticket: its own showtime keeps no trace
        elif direction == Scan.Direction.OUT:
            scan.result, details = _exit(ticket, slot)
        elif offline:
            scan.result, details = _enter_offline(ticket, scan)
        else:
            scan.result, details = _enter(ticket, scan)
    scan.save()
    outcome = ScanOutcome(scan.result, scan, ticket if scan.ticket_id else None, details)
    if scan.result in (R.ADMITTED, R.EXITED, R.DOUBLE_ENTRY):
        transaction.on_commit(lambda: _announce(slot.pk, outcome), robust=True)
    return outcome


def _announce(slot_id: int, outcome: ScanOutcome | None = None) -> None:
    """After commit: read the door's counts once, keep them for the answer, tell the
    live count. A failed read is logged; the scan stands."""
    try:
        figures = selectors.door_counts(slot_id)
    except DatabaseError:
        logger.warning("Could not read the door's counts", extra={"slot_id": slot_id})
        return
    if outcome is not None:
        outcome.figures = figures
    events.checkin_changed(slot_id, figures)


def ticket_scan(
    *, staff: User, slot: Slot, code: str, gate: str, direction: str = Scan.Direction.IN
) -> ScanOutcome:
    """Judge one scan at a gate now, record it, and admit (or let out) the ticket."""
    with transaction.atomic(durable=True):
        return _judge(
            staff=staff,
            slot=slot,
            code=code,
            gate=gate,
            direction=direction,
            at=db_now(),
            offline=False,
            client_ref="",
        )


def scans_upload(*, staff: User, slot: Slot, gate: str, scans: list[dict]) -> list[ScanOutcome]:
    """Take the scans an offline gate made (`ref`, `code`, `scanned_at`, `direction`),
    earliest first, each in its own transaction; a scan already taken (same `ref`)
    answers what it answered the first time."""
    outcomes = []
    for item in sorted(scans, key=lambda s: s["scanned_at"]):
        with transaction.atomic(durable=True):
            taken = Scan.objects.filter(slot=slot, client_ref=item["ref"]).first()
            if taken is not None:
                outcomes.append(
                    ScanOutcome(taken.result, taken, taken.ticket, _where_conflict(taken))
                )
                continue
            # A gate's clock ahead of ours cannot put a scan in the future.
            at = min(item["scanned_at"], db_now())
            outcomes.append(
                _judge(
                    staff=staff,
                    slot=slot,
                    code=item["code"],
                    gate=gate,
                    direction=item.get("direction", Scan.Direction.IN),
                    at=at,
                    offline=True,
                    client_ref=item["ref"],
                )
            )
    return outcomes


def _where_conflict(scan: Scan) -> dict:
    return _where(scan.conflict_with) if scan.result == R.DOUBLE_ENTRY else {}


@transaction.atomic(durable=True)
def checkin_window_set(
    *, slot: Slot, opens_at: datetime | None, closes_at: datetime | None
) -> CheckinWindow:
    """Set when the door admits; an empty bound goes back to the default."""
    if opens_at and closes_at and closes_at <= opens_at:
        raise errors.InvalidWindow(details={"opens_at": opens_at, "closes_at": closes_at})
    window, _ = CheckinWindow.objects.update_or_create(
        slot=slot, defaults={"opens_at": opens_at, "closes_at": closes_at}
    )
    transaction.on_commit(lambda: _announce(slot.pk), robust=True)
    transaction.on_commit(lambda: events.door_settings_changed([slot.pk]), robust=True)
    return window


@transaction.atomic(durable=True)
def checkin_rules_set(*, event: Event, reentry: bool) -> CheckinRules:
    rules, _ = CheckinRules.objects.update_or_create(event=event, defaults={"reentry": reentry})
    slot_ids = list(Slot.objects.filter(event=event).values_list("pk", flat=True))
    transaction.on_commit(lambda: events.door_settings_changed(slot_ids), robust=True)
    return rules
