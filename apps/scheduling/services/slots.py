"""Showtimes: create, change and delete them with every check, and keep them in step with
their screen's layout. Each service owns its transaction."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, ProtectedError
from django.utils import timezone

from apps.catalog.errors import LayoutInUse
from apps.catalog.models import Event, EventStatus, Screen, Seat
from apps.core.cache import public_cache_bump

from .. import signals
from ..errors import (
    EventCancelled,
    InvalidPrices,
    InvalidRule,
    InvalidTimeRange,
    LayoutEmpty,
    SlotHasBookings,
    SlotInPast,
    SlotOverlap,
    SlotStarted,
)
from ..models import (
    GENERAL_CATEGORY,
    Seating,
    Slot,
    SlotPrice,
    SlotStatus,
)
from .types import type_prices_checked


def _screen_lock(screen: Screen) -> Screen:
    """Lock the screen row so slot writes on one screen serialise. Call inside a transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("_screen_lock must run inside a transaction")
    return Screen.objects.select_for_update(of=("self",)).select_related("venue").get(pk=screen.pk)


def _seat_categories(screen: Screen) -> dict[str, int]:
    rows = Seat.objects.filter(screen=screen).values("category").annotate(n=Count("id"))
    return {row["category"]: row["n"] for row in rows}


def _capacity_and_prices(
    *, screen: Screen, seating: str, capacity: int | None, prices: dict[str, Decimal]
) -> tuple[int, dict[str, Decimal]]:
    """Check prices against the seating and return the slot's capacity and prices."""
    if seating == Seating.RESERVED:
        categories = _seat_categories(screen)
        if not categories:
            raise LayoutEmpty(details={"screen": screen.pk})
        missing = sorted(set(categories) - set(prices))
        unknown = sorted(set(prices) - set(categories))
        if missing or unknown:
            parts = []
            if missing:
                parts.append(f"no price for {', '.join(missing)}")
            if unknown:
                parts.append(f"no seats of category {', '.join(unknown)} on this screen")
            raise InvalidPrices(
                f"Prices must name each seat category of the screen: {'; '.join(parts)}.",
                details={"missing": missing, "unknown": unknown, "categories": sorted(categories)},
            )
        return sum(categories.values()), prices
    if not capacity or capacity < 1:
        raise InvalidRule(
            "General admission needs a capacity of at least 1.",
            code="capacity_required",
            details={"capacity": capacity},
        )
    if set(prices) != {GENERAL_CATEGORY}:
        raise InvalidPrices(
            'General admission has one price: {"general": "20.00"}.',
            details={"expected": [GENERAL_CATEGORY], "got": sorted(prices)},
        )
    return capacity, prices


def _overlapping(screen: Screen, starts_at: datetime, ends_at: datetime, exclude: int | None):
    qs = Slot.objects.filter(screen=screen, starts_at__lt=ends_at, ends_at__gt=starts_at).exclude(
        status=SlotStatus.CANCELLED
    )
    if exclude:
        qs = qs.exclude(pk=exclude)
    return list(qs.select_related("event", "screen__venue").order_by("starts_at")[:10])


def _overlap_error(conflicts: list[Slot]) -> SlotOverlap:
    first = conflicts[0]
    venue = first.screen.venue  # times as the venue's clock reads them, like every page
    starts = timezone.localtime(first.starts_at, venue.tzinfo)
    ends = timezone.localtime(first.ends_at, venue.tzinfo)
    return SlotOverlap(
        f"The screen is busy from {starts:%Y-%m-%d %H:%M} to {ends:%H:%M} "
        f"({venue.timezone}) with '{first.event.title}' (slot {first.pk}); "
        "pick another time or screen.",
        details={
            "conflicts": [
                {"id": s.pk, "starts_at": s.starts_at.isoformat(), "ends_at": s.ends_at.isoformat()}
                for s in conflicts
            ]
        },
    )


def _check_times(
    *,
    starts_at: datetime,
    ends_at: datetime,
    sales_open_at: datetime | None,
    sales_close_at: datetime | None,
) -> None:
    if ends_at <= starts_at:
        raise InvalidTimeRange(
            f"ends_at ({ends_at.isoformat()}) must be after starts_at ({starts_at.isoformat()}).",
            details={"starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat()},
        )
    if starts_at <= timezone.now():
        raise SlotInPast(
            f"starts_at ({starts_at.isoformat()}) is in the past; pick a future time.",
            details={"starts_at": starts_at.isoformat()},
        )
    if ends_at - starts_at > timedelta(hours=24):
        raise InvalidTimeRange("A showtime lasts at most 24 hours.")
    if sales_close_at and sales_close_at > starts_at:
        raise InvalidTimeRange(
            "Sales must close at or before the showtime starts.", code="invalid_sales_window"
        )
    if sales_open_at and sales_open_at >= (sales_close_at or starts_at):
        raise InvalidTimeRange("Sales must open before they close.", code="invalid_sales_window")


def _default_end(event: Event, starts_at: datetime) -> datetime:
    if event.movie_id is None:
        raise InvalidTimeRange(
            "ends_at is required for events that are not movies.", code="ends_at_required"
        )
    return starts_at + timedelta(minutes=event.movie.runtime_minutes)


@transaction.atomic(durable=True)
def slot_create(
    *,
    event: Event,
    screen: Screen,
    starts_at: datetime,
    seating: str,
    prices: dict[str, Decimal],
    ends_at: datetime | None = None,
    capacity: int | None = None,
    sales_open_at: datetime | None = None,
    sales_close_at: datetime | None = None,
    type_prices: dict | None = None,
) -> Slot:
    """Create a showtime; refuse overlaps on the screen (checked under the screen's lock).
    `type_prices`: its own prices of the event's further ticket types."""
    if event.status == EventStatus.CANCELLED:
        raise EventCancelled()
    ends_at = ends_at or _default_end(event, starts_at)
    _check_times(
        starts_at=starts_at,
        ends_at=ends_at,
        sales_open_at=sales_open_at,
        sales_close_at=sales_close_at,
    )
    screen = _screen_lock(screen)
    capacity, prices = _capacity_and_prices(
        screen=screen, seating=seating, capacity=capacity, prices=prices
    )
    conflicts = _overlapping(screen, starts_at, ends_at, exclude=None)
    if conflicts:
        raise _overlap_error(conflicts)
    try:
        with transaction.atomic():
            slot = Slot.objects.create(
                event=event,
                screen=screen,
                starts_at=starts_at,
                ends_at=ends_at,
                seating=seating,
                capacity=capacity,
                sales_open_at=sales_open_at,
                sales_close_at=sales_close_at,
                type_prices=type_prices_checked(event, type_prices or {}),
            )
    except IntegrityError as exc:  # the database's own no-overlap rule, should a writer race us
        raise SlotOverlap() from exc
    SlotPrice.objects.bulk_create(
        [SlotPrice(slot=slot, category=c, price=p) for c, p in sorted(prices.items())]
    )
    public_cache_bump()
    return slot


@transaction.atomic(durable=True)
def slot_update(*, slot: Slot, **fields: Any) -> Slot:
    """Change a future showtime's times, prices, sales window, capacity or status.

    Locks the screen, then the slot: the same order as every other slot writer.
    """
    screen = _screen_lock(slot.screen)
    slot = Slot.objects.select_for_update(of=("self",)).select_related("event").get(pk=slot.pk)
    if slot.starts_at <= timezone.now():
        raise SlotStarted()
    capacity_before = slot.capacity
    prices = fields.pop("prices", None)
    if "type_prices" in fields:
        fields["type_prices"] = type_prices_checked(slot.event, fields["type_prices"] or {})
    moving = "starts_at" in fields or "ends_at" in fields
    if "starts_at" in fields and "ends_at" not in fields:
        fields["ends_at"] = fields["starts_at"] + (slot.ends_at - slot.starts_at)
    for name, value in fields.items():
        setattr(slot, name, value)
    _check_times(
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        sales_open_at=slot.sales_open_at,
        sales_close_at=slot.sales_close_at,
    )
    if prices is not None or "capacity" in fields:
        current = {p.category: p.price for p in slot.prices.all()}
        slot.capacity, new_prices = _capacity_and_prices(
            screen=screen,
            seating=slot.seating,
            capacity=slot.capacity,
            prices=prices if prices is not None else current,
        )
        if prices is not None:
            SlotPrice.objects.filter(slot=slot).delete()
            SlotPrice.objects.bulk_create(
                [SlotPrice(slot=slot, category=c, price=p) for c, p in sorted(new_prices.items())]
            )
    if slot.status != SlotStatus.CANCELLED and (moving or "status" in fields):
        conflicts = _overlapping(screen, slot.starts_at, slot.ends_at, exclude=slot.pk)
        if conflicts:
            raise _overlap_error(conflicts)
    if slot.capacity != capacity_before:  # bookings moves (or refuses) the places left
        signals.slot_capacity_changing.send(sender=Slot, slot=slot, before=capacity_before)
    try:
        with transaction.atomic():
            slot.save()
    except IntegrityError as exc:
        raise SlotOverlap() from exc
    public_cache_bump()
    signals.send_after_commit(signals.slot_changed, slot_id=slot.pk)
    return slot


@transaction.atomic(durable=True)
def slot_delete(*, slot: Slot) -> None:
    """Delete a showtime nobody has booked (its holds and waitlist go with it); one with
    bookings, even cancelled ones, is kept for the organizer's books: cancel it instead."""
    slot_id = slot.pk
    try:
        with transaction.atomic():
            slot.delete()
    except ProtectedError as exc:
        raise SlotHasBookings(details={"bookings": len(exc.protected_objects)}) from exc
    public_cache_bump()
    signals.send_after_commit(signals.slot_deleted, slot_id=slot_id)


# --- Layout changes of screens with slots


def layout_change_check(
    *, screen: Screen, removed_seat_ids: list[int], categories: set[str]
) -> None:
    """Refuse a layout that drops seats, or lacks prices, for upcoming reserved showtimes."""
    ids = list(
        Slot.objects.filter(
            screen=screen,
            seating=Seating.RESERVED,
            status=SlotStatus.SCHEDULED,
            ends_at__gt=timezone.now(),
        ).values_list("id", flat=True)
    )
    if not ids:
        return
    if removed_seat_ids:
        raise LayoutInUse(
            f"{len(removed_seat_ids)} seat(s) would be removed, but the screen has upcoming "
            "showtimes; add seats or change categories only, or cancel those showtimes first.",
            details={"removed_seats": removed_seat_ids[:100], "slots": ids[:20]},
        )
    priced = set(SlotPrice.objects.filter(slot_id__in=ids).values_list("slot_id", "category"))
    unpriced = {(s, c) for s in ids for c in categories if (s, c) not in priced}
    if unpriced:
        missing = sorted({category for _, category in unpriced})
        raise LayoutInUse(
            f"Upcoming showtimes have no price for {', '.join(missing)}; set their prices first.",
            details={"categories": missing, "slots": sorted({s for s, _ in unpriced})[:20]},
        )


def slots_follow_layout(*, screen: Screen) -> None:
    """Bring upcoming reserved slots' capacity to the new seat count. Call inside a transaction."""
    seats = Seat.objects.filter(screen=screen).count()
    upcoming = Slot.objects.filter(
        screen=screen, seating=Seating.RESERVED, ends_at__gt=timezone.now()
    )
    for slot in upcoming.select_for_update().order_by("pk"):
        slot.capacity = seats
        slot.save(update_fields=["capacity", "updated_at"])
        # Watchers get a new snapshot (under a new version) once the layout commits.
        signals.send_after_commit(signals.slot_changed, slot_id=slot.pk)
