"""Writes on slots and schedule rules. Each service owns its transaction."""

import bisect
import logging
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, ProtectedError
from django.utils import timezone

from apps.catalog.errors import LayoutInUse
from apps.catalog.models import Event, EventStatus, Screen, Seat
from apps.core.cache import public_cache_bump
from apps.core.exceptions import ApplicationError

from . import generation, signals
from .errors import (
    EventCancelled,
    InvalidPrices,
    InvalidRule,
    InvalidTimeRange,
    LayoutEmpty,
    RuntimeExceedsOpeningHours,
    SlotHasBookings,
    SlotInPast,
    SlotOverlap,
    SlotStarted,
)
from .models import (
    GENERAL_CATEGORY,
    GenerationJob,
    ScheduleRule,
    Seating,
    Slot,
    SlotPrice,
    SlotStatus,
)

logger = logging.getLogger(__name__)

MAX_RULE_DAYS = 366
MAX_CONFLICTS_REPORTED = 50


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
    return list(qs.select_related("event").order_by("starts_at")[:10])


def _overlap_error(conflicts: list[Slot]) -> SlotOverlap:
    first = conflicts[0]
    return SlotOverlap(
        f"The screen is busy from {first.starts_at:%Y-%m-%d %H:%M} to "
        f"{first.ends_at:%H:%M} UTC with '{first.event.title}' (slot {first.pk}); "
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


@transaction.atomic
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
) -> Slot:
    """Create a showtime; refuse overlaps on the screen (checked under the screen's lock)."""
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
            )
    except IntegrityError as exc:  # the database's own no-overlap rule, should a writer race us
        raise SlotOverlap() from exc
    SlotPrice.objects.bulk_create(
        [SlotPrice(slot=slot, category=c, price=p) for c, p in sorted(prices.items())]
    )
    public_cache_bump()
    return slot


@transaction.atomic
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


@transaction.atomic
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


# --- Schedule rules and generation


@dataclass
class GenerationResult:
    total: int = 0
    created: int = 0
    skipped: int = 0
    conflicted: int = 0
    conflicts: list[dict[str, str]] = field(default_factory=list)
    slot_ids: list[int] = field(default_factory=list)


def _rule_duration(rule: ScheduleRule) -> timedelta:
    if rule.duration_minutes:
        return timedelta(minutes=rule.duration_minutes)
    if rule.event.movie_id:
        return timedelta(minutes=rule.event.movie.runtime_minutes)
    raise InvalidRule(
        "duration_minutes is required for events that are not movies.",
        code="duration_required",
    )


def _rule_hours(rule: ScheduleRule) -> tuple[time, time]:
    return (
        rule.opening_time or rule.screen.opening_time,
        rule.closing_time or rule.screen.closing_time,
    )


def rule_showtimes(rule: ScheduleRule) -> list[generation.Showtime]:
    """Every showtime the rule describes, past ones included, in UTC."""
    tz = rule.screen.venue.tzinfo
    duration = _rule_duration(rule)
    if rule.mode == ScheduleRule.Mode.TIMES:
        return generation.fixed_showtimes(
            date_from=rule.date_from,
            date_to=rule.date_to,
            weekdays=rule.weekdays,
            start_times=[time.fromisoformat(t) for t in rule.start_times],
            duration=duration,
            tz=tz,
        )
    opening, closing = _rule_hours(rule)
    return generation.packed_showtimes(
        date_from=rule.date_from,
        date_to=rule.date_to,
        weekdays=rule.weekdays,
        opening=opening,
        closing=closing,
        duration=duration,
        buffer=timedelta(minutes=rule.buffer_minutes),
        tz=tz,
    )


def rule_validate(rule: ScheduleRule) -> None:
    """Refuse a rule that cannot produce sensible showtimes, with a reason a person can act on."""
    if rule.event.status == EventStatus.CANCELLED:
        raise EventCancelled()
    if rule.date_to < rule.date_from:
        raise InvalidRule("date_to must be on or after date_from.", code="invalid_date_range")
    if (rule.date_to - rule.date_from).days + 1 > MAX_RULE_DAYS:
        raise InvalidRule(f"A rule covers at most {MAX_RULE_DAYS} days.", code="invalid_date_range")
    if rule.date_to < timezone.localdate(timezone=rule.screen.venue.tzinfo):
        raise SlotInPast("The whole date range is in the past.")
    if rule.mode == ScheduleRule.Mode.TIMES and not rule.start_times:
        raise InvalidRule(
            'Give at least one start time, e.g. ["18:00"].', code="start_times_required"
        )
    duration = _rule_duration(rule)
    if rule.mode == ScheduleRule.Mode.PACK:
        opening, closing = _rule_hours(rule)
        window = generation.nominal_window_minutes(opening, closing)
        minutes = int(duration.total_seconds() // 60)
        if minutes > window:
            raise RuntimeExceedsOpeningHours(
                f"The show runs {minutes} minutes but the screen is open only {window} minutes "
                f"({opening:%H:%M}-{closing:%H:%M}); widen the opening hours or use start times.",
                details={"duration_minutes": minutes, "opening_minutes": window},
            )
    _capacity_and_prices(
        screen=rule.screen,
        seating=rule.seating,
        capacity=rule.capacity,
        prices={k: Decimal(v) for k, v in rule.prices.items()},
    )


@transaction.atomic
def slots_generate(rule: ScheduleRule) -> GenerationResult:
    """Create the rule's future showtimes that are not there yet and overlap nothing.

    Idempotent: a showtime whose (screen, start) already has a slot, in any status,
    is skipped, so re-running a rule never duplicates. Locks the screen.
    """
    rule = ScheduleRule.objects.select_related("event__movie", "screen__venue").get(pk=rule.pk)
    rule_validate(rule)
    shows = rule_showtimes(rule)
    result = GenerationResult(total=len(shows))
    if not shows:
        return result
    screen = _screen_lock(rule.screen)
    prices = {k: Decimal(v) for k, v in rule.prices.items()}
    capacity, prices = _capacity_and_prices(
        screen=screen, seating=rule.seating, capacity=rule.capacity, prices=prices
    )
    window = Slot.objects.filter(
        screen=screen, starts_at__lt=shows[-1].ends_at, ends_at__gt=shows[0].starts_at
    ).values_list("starts_at", "ends_at", "status")
    taken_starts = set()
    live: list[tuple[datetime, datetime]] = []
    for starts_at, ends_at, status in window:
        taken_starts.add(starts_at)
        if status != SlotStatus.CANCELLED:
            live.append((starts_at, ends_at))
    live.sort()

    now = timezone.now()
    new_slots = []
    for show in shows:
        if show.starts_at <= now or show.starts_at in taken_starts:
            result.skipped += 1
            continue
        at = bisect.bisect_left(live, (show.ends_at,))
        if at and live[at - 1][1] > show.starts_at:
            result.conflicted += 1
            if len(result.conflicts) < MAX_CONFLICTS_REPORTED:
                result.conflicts.append(
                    {"starts_at": show.starts_at.isoformat(), "ends_at": show.ends_at.isoformat()}
                )
            continue
        live.insert(at, (show.starts_at, show.ends_at))
        taken_starts.add(show.starts_at)
        new_slots.append(
            Slot(
                event=rule.event,
                screen=screen,
                starts_at=show.starts_at,
                ends_at=show.ends_at,
                seating=rule.seating,
                capacity=capacity,
                rule=rule,
            )
        )
    created = Slot.objects.bulk_create(new_slots, batch_size=500)
    SlotPrice.objects.bulk_create(
        [
            SlotPrice(slot=slot, category=category, price=price)
            for slot in created
            for category, price in sorted(prices.items())
        ],
        batch_size=1000,
    )
    result.created = len(created)
    result.slot_ids = [slot.pk for slot in created]
    public_cache_bump()
    return result


@transaction.atomic
def schedule_rule_create(*, event: Event, **fields: Any) -> GenerationJob:
    """Store a rule and queue its generation after commit; return the job to follow."""
    from .tasks import generate_slots_task

    if "prices" in fields:
        fields["prices"] = {k: str(v) for k, v in fields["prices"].items()}
    if "start_times" in fields:
        fields["start_times"] = sorted({t.strftime("%H:%M") for t in fields["start_times"]})
    if "weekdays" in fields:
        fields["weekdays"] = sorted(set(fields["weekdays"]))
    rule = ScheduleRule(event=event, **fields)
    rule_validate(rule)
    rule.save()
    job = GenerationJob.objects.create(rule=rule)
    transaction.on_commit(lambda: generate_slots_task.delay(job.pk), robust=True)
    return job


def generation_job_run(job_id: int) -> GenerationJob:
    """Run a generation job once: record running, then the counts or the error."""
    updated = GenerationJob.objects.filter(
        pk=job_id, status__in=[GenerationJob.Status.PENDING, GenerationJob.Status.FAILED]
    ).update(status=GenerationJob.Status.RUNNING, started_at=timezone.now(), error="")
    job = GenerationJob.objects.select_related("rule").get(pk=job_id)
    if not updated:
        return job  # already running or done elsewhere: tasks are idempotent
    try:
        result = slots_generate(job.rule)
    except ApplicationError as exc:  # the rule no longer fits (event cancelled, layout changed)
        job.status = GenerationJob.Status.FAILED
        job.error = exc.message
    except Exception:
        job.status = GenerationJob.Status.FAILED
        job.error = "Generation failed on our side; run the rule again or ask support."
        logger.exception("slot generation failed", extra={"job": job_id})
    else:
        job.status = GenerationJob.Status.SUCCEEDED
        job.total, job.created = result.total, result.created
        job.skipped, job.conflicted = result.skipped, result.conflicted
        job.conflicts = result.conflicts
    job.finished_at = timezone.now()
    job.save()
    return job
