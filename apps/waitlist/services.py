"""Writes of the waitlist: join, leave, promotion of the next in line into a held offer.

Fairness rule ("FIFO with bounded overtaking"): the line is ordered by join
time. When places free up, promotion serves the first waiting entry whose
quantity fits the places free now. An entry that does not fit may be overtaken
by later, smaller entries, but at most `VENUE_WAITLIST_MAX_SKIPS` times (default
3, counted in `skipped`); once it has been overtaken that often it blocks the
line: nobody behind it is served until its quantity fits. So freed single seats
are not left idle behind a group, and a group of 4 is never starved by singles.

Concurrency: every promotion step is one `transaction.atomic(durable=True)` that
first locks the slot's `WaitlistQueue` row with SKIP LOCKED. A second promotion
of the same slot (another worker, another trigger) finds the row locked and
steps aside, so two workers never promote the same entry; the running one takes
another step, and after its last step it looks again *after* releasing the lock,
so places freed while it worked are never left unoffered. Seats are held through
the booking engine's own hold body (`_hold_create_locked`): the database's
unique seat claims and conditional inventory decrement decide every race with
live buyers, so an offer never takes seats someone is buying at that moment; a
lost race only means planning again with fresh statuses.
"""

import contextlib
import logging
from dataclasses import dataclass, field
from enum import Enum

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from apps.bookings import errors as booking_errors
from apps.bookings import selectors as booking_selectors
from apps.bookings.models import Booking, Hold
from apps.bookings.seating import SeatSpot, choose_seats
from apps.bookings.services import customer_limit_check, hold_release, offer_hold_create
from apps.catalog.models import Seat
from apps.core.db import db_now
from apps.core.exceptions import ApplicationError
from apps.scheduling import sales
from apps.scheduling.models import Seating, Slot

from . import errors, notifications, selectors
from .models import MAX_QUANTITY, WaitlistEntry, WaitlistQueue

logger = logging.getLogger(__name__)

Status = WaitlistEntry.Status
MAX_STEPS = 500  # promotion steps per call; a slot holds at most a few hundred offers at once
MAX_CONFLICTS = 5  # lost races with live buyers in a row before leaving it to the next trigger


# --- join and leave


def _check_on_sale(slot: Slot) -> None:
    if not Slot.objects.filter(sales.on_sale(), pk=slot.pk).exists():
        raise booking_errors.SlotNotOnSale()


def waitlist_join(*, user, slot_id: int, quantity: int) -> WaitlistEntry:
    """Queue for `quantity` places of a showtime that cannot sell them now."""
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ApplicationError(
            f"Ask for 1 to {MAX_QUANTITY} places.",
            code="invalid_quantity",
            details={"min": 1, "max": MAX_QUANTITY},
        )
    slot = selectors.slot_for_waitlist(user, slot_id)
    if slot is None:
        raise errors.SlotNotFound()
    _check_on_sale(slot)
    with transaction.atomic(durable=True):
        existing = selectors.entry_live(user, slot.pk)
        if existing is not None:
            raise errors.AlreadyWaitlisted(
                details={"status": existing.status, "position": selectors.entry_position(existing)}
            )
        available = booking_selectors.slot_available(slot.pk)
        if available >= quantity:
            raise errors.SeatsAvailable(details={"available": available})
        # Waiting for more than the event's cap allows would end in an offer refused.
        customer_limit_check(user_id=user.pk, event=slot.event, asked=quantity, now=db_now())
        WaitlistQueue.objects.bulk_create([WaitlistQueue(slot=slot)], ignore_conflicts=True)
        try:
            with transaction.atomic():
                return WaitlistEntry.objects.create(user=user, slot=slot, quantity=quantity)
        except IntegrityError:  # the same user joined at the same moment
            raise errors.AlreadyWaitlisted() from None


def waitlist_leave(*, user, slot_id: int) -> None:
    """Leave the line; leaving with an open offer declines it (its seats go to the next)."""
    with transaction.atomic(durable=True):
        entry = selectors.entry_live(user, slot_id, lock=True)
        if entry is None:
            raise errors.EntryNotFound()
        hold_id = entry.offered_hold_id if entry.status == Status.OFFERED else None
        entry.status = Status.LEFT
        entry.closed_at = timezone.now()
        entry.save(update_fields=["status", "closed_at"])
    if hold_id is not None:
        # Gone already if booked, released or swept; otherwise its seats pass on (promotion).
        with contextlib.suppress(booking_errors.HoldNotFound):
            hold_release(user=user, hold_id=hold_id)


def waitlist_close(*, slot_id: int) -> list[int]:
    """Close a cancelled showtime's line: every waiting or offered entry becomes
    `closed`, open offers give their held seats back, and each person is told (after
    commit: an email and `/ws/me/`). Closing again finds nobody; return the entries closed."""
    with transaction.atomic(durable=True):
        entries = list(
            WaitlistEntry.objects.select_for_update()
            .filter(slot_id=slot_id, status__in=WaitlistEntry.LIVE)
            .order_by("pk")
        )
        now = timezone.now()
        offers = [(e.user, e.offered_hold_id) for e in entries if e.status == Status.OFFERED]
        WaitlistEntry.objects.filter(pk__in=[e.pk for e in entries]).update(
            status=Status.CLOSED, closed_at=now
        )
        closed = [e.pk for e in entries]
        transaction.on_commit(lambda: notifications.line_closed(closed), robust=True)
    for user, hold_id in offers:
        with contextlib.suppress(booking_errors.HoldNotFound):
            hold_release(user=user, hold_id=hold_id)
    return closed


def offers_fulfil(*, user_id: int, slot_id: int, booked_at) -> int:
    """Mark the user's open offer on the slot fulfilled after a booking; return entries marked."""
    return WaitlistEntry.objects.filter(
        user_id=user_id, slot_id=slot_id, status=Status.OFFERED, offered_at__lte=booked_at
    ).update(status=Status.FULFILLED, closed_at=timezone.now())


# --- promotion


class Step(Enum):
    OFFERED = "offered"
    IDLE = "idle"  # nothing fits (or nobody waits)
    BUSY = "busy"  # another promotion of this slot is running: it will look again
    CONFLICT = "conflict"  # a live buyer took the planned places, or the entry left
    CLOSED = "closed"  # the slot is no longer on sale


@dataclass
class Plan:
    entry_id: int
    quantity: int
    passed: list[int] = field(default_factory=list)
    seat_ids: list[int] | None = None


def _plan(slot: Slot) -> Plan | None:
    """Who gets the places free now, by the fairness rule, and which seats; None: nobody."""
    entries = list(
        WaitlistEntry.objects.filter(slot=slot, status=Status.WAITING)
        .order_by("created_at", "id")
        .values_list("id", "quantity", "skipped")
    )
    if not entries:
        return None
    free = booking_selectors.slot_available(slot.pk)
    if free < 1:
        return None
    seats: list[SeatSpot] = []
    taken: set[int] = set()
    if slot.seating == Seating.RESERVED:
        priced = list(slot.prices.values_list("category", flat=True))
        seats = [
            SeatSpot(*row)
            for row in Seat.objects.filter(screen_id=slot.screen_id, category__in=priced)
            .order_by("id")
            .values_list("id", "x", "y")
        ]
        taken = set(booking_selectors.seat_statuses(slot))
        free = sum(1 for seat in seats if seat.id not in taken)
    passed: list[int] = []
    for entry_id, quantity, skipped in entries:
        if quantity <= free:
            plan = Plan(entry_id, quantity, passed)
            if slot.seating == Seating.RESERVED:
                plan.seat_ids = choose_seats(seats, taken, quantity)
            return plan
        if skipped >= settings.VENUE_WAITLIST_MAX_SKIPS:
            return None  # the line waits for this entry
        passed.append(entry_id)
    return None


def _offers_settle(slot_id: int, now) -> int:
    """Close offers whose hold is gone or lapsed: fulfilled if booked since, else expired.
    Call inside a transaction."""
    live_hold = Hold.objects.filter(pk=OuterRef("offered_hold_id"), expires_at__gt=now)
    stale = list(
        WaitlistEntry.objects.select_for_update()
        .filter(slot_id=slot_id, status=Status.OFFERED)
        .filter(~Exists(live_hold))
    )
    for entry in stale:
        booked = Booking.objects.filter(
            user_id=entry.user_id, slot_id=slot_id, created_at__gte=entry.offered_at
        ).exists()
        entry.status = Status.FULFILLED if booked else Status.EXPIRED
        entry.closed_at = timezone.now()
        entry.save(update_fields=["status", "closed_at"])
    return len(stale)


def _promote_step(slot_id: int) -> tuple[Step, int | None]:
    """Settle lapsed offers, then offer places to the next entry that fits, in one transaction.

    Return the outcome and the id of the entry offered, if any."""
    with transaction.atomic(durable=True):
        queue = (
            WaitlistQueue.objects.select_for_update(skip_locked=True)
            .filter(slot_id=slot_id)
            .first()
        )
        if queue is None:
            exists = WaitlistQueue.objects.filter(slot_id=slot_id).exists()
            return (Step.BUSY if exists else Step.IDLE), None
        _offers_settle(slot_id, db_now())
        slot = Slot.objects.select_related("event").get(pk=slot_id)
        plan = _plan(slot)
        if plan is None:
            return Step.IDLE, None
        entry = (
            WaitlistEntry.objects.select_for_update()
            .select_related("user")
            .filter(pk=plan.entry_id, status=Status.WAITING)
            .first()
        )
        if entry is None:  # left while we planned
            return Step.CONFLICT, None
        try:
            hold = offer_hold_create(
                user=entry.user,
                slot_id=slot_id,
                seat_ids=plan.seat_ids,
                quantity=None if plan.seat_ids is not None else plan.quantity,
                lifetime_seconds=settings.VENUE_WAITLIST_OFFER_SECONDS,
            )
        except booking_errors.SeatUnavailable:
            return Step.CONFLICT, None
        except booking_errors.SlotNotOnSale:
            return Step.CLOSED, None
        except booking_errors.LimitExceeded:
            # The customer bought elsewhere meanwhile: the offer would take them past the
            # event's cap, so their place lapses and the next in line is offered.
            entry.status = Status.EXPIRED
            entry.closed_at = timezone.now()
            entry.save(update_fields=["status", "closed_at"])
            return Step.CONFLICT, None
        now = timezone.now()
        entry.status = Status.OFFERED
        entry.offered_hold_id = hold.pk
        entry.offered_at = now
        entry.save(update_fields=["status", "offered_hold_id", "offered_at"])
        if plan.passed:
            WaitlistEntry.objects.filter(pk__in=plan.passed, status=Status.WAITING).update(
                skipped=F("skipped") + 1
            )
        queue.last_promoted_at = now
        queue.save(update_fields=["last_promoted_at"])
        entry_id = entry.pk
        transaction.on_commit(lambda: notifications.offer_made(entry_id), robust=True)
    return Step.OFFERED, entry.pk


def _work_pending(slot_id: int) -> bool:
    """Whether a promotion step would do anything now (read without locks)."""
    slot = Slot.objects.filter(pk=slot_id).first()
    if slot is None:
        return False
    live_hold = Hold.objects.filter(pk=OuterRef("offered_hold_id"), expires_at__gt=db_now())
    lapsed = (
        WaitlistEntry.objects.filter(slot_id=slot_id, status=Status.OFFERED)
        .filter(~Exists(live_hold))
        .exists()
    )
    return lapsed or _plan(slot) is not None


def waitlist_promote(*, slot_id: int) -> list[int]:
    """Offer freed places of a slot to its waitlist; return the ids of the entries offered.

    Idempotent and safe to run concurrently (see the module docstring)."""
    offered: list[int] = []
    conflicts = 0
    for _ in range(MAX_STEPS):
        step, entry_id = _promote_step(slot_id)
        if step is Step.OFFERED:
            offered.append(entry_id)
            conflicts = 0
        elif step is Step.CONFLICT:
            conflicts += 1
            if conflicts >= MAX_CONFLICTS:
                break
        elif step is Step.IDLE:
            # Look again now that the lock is released: places freed by a promotion that
            # stepped aside while we held it must not wait for the next trigger.
            if not _work_pending(slot_id):
                break
        else:
            break
    if offered:
        logger.info("waitlist offers made", extra={"slot_id": slot_id, "entries": offered})
    return offered


def waitlist_promote_all() -> int:
    """Close the lines of showtimes that started, then promote every slot with a live line.

    The safety net behind the `seats_freed` trigger; return the offers made."""
    WaitlistEntry.objects.filter(status=Status.WAITING, slot__starts_at__lte=timezone.now()).update(
        status=Status.EXPIRED, closed_at=timezone.now()
    )
    made = 0
    for slot_id in selectors.slots_to_promote().values_list("id", flat=True):
        try:
            made += len(waitlist_promote(slot_id=slot_id))
        except Exception:
            logger.exception("Waitlist promotion failed", extra={"slot_id": slot_id})
    return made
