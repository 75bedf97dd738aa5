"""Reads of scheduling: visible slots, events with their next showtime, seat maps.

`slot_availability` and `seat_statuses` are the one place that says how many
places are left and which seats are taken; the booking engine replaces them.
"""

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import F, OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.permissions import is_admin, is_organizer
from apps.catalog.models import Event
from apps.catalog.selectors import event_editable, event_visible, screen_seats
from apps.core.db import LocalDate

from . import inventory
from .models import GenerationJob, Seating, Slot, SlotPrice, SlotStatus

EVENT_DETAIL_SLOTS = 200

Viewer = User | AnonymousUser


# The widest offsets from UTC of any time zone (Kiribati +14:00, Baker Island -12:00).
EARLIEST_OFFSET, LATEST_OFFSET = timedelta(hours=14), timedelta(hours=12)


def on_local_days(
    qs: QuerySet[Slot], date_from: date | None, date_to: date | None
) -> QuerySet[Slot]:
    """Slots starting on those days (both included) as their venue's clock reads them: a
    23:30 showtime in New York is on its New York day, whatever day it is in UTC then.

    The UTC bounds around the local test only let an index on `starts_at` narrow the rows.
    Near the edges of the calendar (0001-01-01, 9999-12-31) a bound can fall outside what
    a datetime holds; then no showtime lies beyond it, and it is left out."""
    if not (date_from or date_to):
        return qs
    qs = qs.alias(local_day=LocalDate("starts_at", "screen__venue__timezone"))
    if date_from:
        qs = qs.filter(local_day__gte=date_from)
        earliest = _utc_bound(date_from, -EARLIEST_OFFSET)
        if earliest is not None:
            qs = qs.filter(starts_at__gte=earliest)
    if date_to:
        qs = qs.filter(local_day__lte=date_to)
        latest = _utc_bound(date_to, timedelta(days=1) + LATEST_OFFSET)
        if latest is not None:
            qs = qs.filter(starts_at__lt=latest)
    return qs


def _utc_bound(day: date, shift: timedelta) -> datetime | None:
    """Midnight UTC of `day`, shifted; None when that is before year 1 or after 9999."""
    try:
        return datetime.combine(day, time.min, tzinfo=UTC) + shift
    except OverflowError:
        return None


def _slot_base() -> QuerySet[Slot]:
    return Slot.objects.select_related("event", "screen__venue").prefetch_related(
        Prefetch("prices", queryset=SlotPrice.objects.order_by("category"))
    )


def slot_visible(user: Viewer) -> QuerySet[Slot]:
    """Slots of the events the user may read."""
    return _slot_base().filter(event__in=event_visible(user).values("pk"))


def slot_editable(user: Viewer) -> QuerySet[Slot]:
    """Slots of the events the user may change (404 for everyone else)."""
    return _slot_base().filter(event__in=event_editable(user).values("pk"))


def slot_upcoming(qs: QuerySet[Slot]) -> QuerySet[Slot]:
    return qs.filter(status=SlotStatus.SCHEDULED, starts_at__gt=timezone.now())


def event_list(
    user: Viewer,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    editable: bool = False,
) -> QuerySet[Event]:
    """Events annotated with `starts_at`, their next upcoming showtime (within the dates).

    With a date bound, only events with an upcoming showtime on those days (each in its
    venue's time zone) remain.
    """
    qs = event_editable(user) if editable else event_visible(user)
    upcoming = Slot.objects.filter(
        event=OuterRef("pk"), status=SlotStatus.SCHEDULED, starts_at__gt=timezone.now()
    )
    upcoming = on_local_days(upcoming, date_from, date_to).order_by("starts_at")
    qs = qs.annotate(
        starts_at=Subquery(upcoming.values("starts_at")[:1]),
        # The next showtime's venue time zone, so pages can show its local time.
        starts_tz=Subquery(upcoming.values("screen__venue__timezone")[:1]),
    )
    if date_from or date_to:
        qs = qs.filter(starts_at__isnull=False)
    return qs


def event_ordering(value: str | None) -> list[Any]:
    """Order by next showtime (events without one last), or by title."""
    if value == "title":
        return ["title", "id"]
    if value == "-title":
        return ["-title", "-id"]
    if value == "-starts_at":
        return [F("starts_at").desc(nulls_last=True), "-id"]
    return [F("starts_at").asc(nulls_last=True), "id"]


def event_upcoming_slots(event: Event, user: Viewer) -> list[Slot]:
    """The event's next showtimes (at most EVENT_DETAIL_SLOTS), visible to the user."""
    qs = slot_upcoming(slot_visible(user).filter(event=event)).order_by("starts_at", "id")
    return list(qs[:EVENT_DETAIL_SLOTS])


def generation_job_for(user: Viewer, event_id: int, job_id: int) -> GenerationJob | None:
    return (
        GenerationJob.objects.filter(
            pk=job_id, rule__event_id=event_id, rule__event__in=event_editable(user).values("pk")
        )
        .select_related("rule")
        .first()
    )


def can_see_drafts(user: Viewer) -> bool:
    return is_organizer(user) or is_admin(user)


# --- Availability and seat maps: read live from the booking engine (see inventory.py).


def slot_availability_map(capacities: dict[int, int]) -> dict[int, int]:
    """Places left per slot id, given each slot's capacity. Never cached."""
    return inventory.availability(capacities)


def slot_availability(slot: Slot) -> int:
    return slot_availability_map({slot.pk: slot.capacity})[slot.pk]


def slot_capacities(slots: Iterable[Slot]) -> dict[int, int]:
    return {slot.pk: slot.capacity for slot in slots}


def seat_statuses(slot: Slot) -> dict[int, str]:
    """Status of each seat that is not `available` (held or booked), by seat id. Never cached."""
    return inventory.statuses(slot)


def slot_prices(slot: Slot) -> dict[str, Decimal]:
    return {price.category: price.price for price in slot.prices.all()}


def slot_seat_map(slot: Slot) -> dict[str, Any]:
    """The seat map: layout (cached per layout version), prices and live statuses."""
    prices = slot_prices(slot)
    seats: list[dict[str, Any]] = []
    if slot.seating == Seating.RESERVED:
        statuses = seat_statuses(slot)
        seats = [
            {
                "id": seat["id"],
                "label": seat["label"],
                "row": seat["row"],
                "number": seat["number"],
                "category": seat["category"],
                "price": prices.get(seat["category"]),
                "status": statuses.get(seat["id"], "available"),
                "x": seat["x"],
                "y": seat["y"],
            }
            for seat in screen_seats(slot.screen)
        ]
    return {
        "slot": slot.pk,
        "version": slot.seatmap_version,
        "seating": slot.seating,
        "capacity": slot.capacity,
        "available": slot_availability(slot),
        "seats": seats,
    }
