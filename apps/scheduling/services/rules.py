"""Schedule rules: validate a rule, expand it into showtimes and generate them in the
background, skipping or reporting the ones that conflict."""

import bisect
import logging
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.catalog.models import Event, EventStatus
from apps.core.cache import public_cache_bump
from apps.core.exceptions import ApplicationError

from .. import generation
from ..errors import (
    EventCancelled,
    InvalidRule,
    RuntimeExceedsOpeningHours,
    SlotInPast,
)
from ..models import (
    GenerationJob,
    ScheduleRule,
    Slot,
    SlotPrice,
    SlotStatus,
)
from .slots import (
    _capacity_and_prices,
    _screen_lock,
)

logger = logging.getLogger("apps.scheduling.services")

MAX_RULE_DAYS = 366
MAX_CONFLICTS_REPORTED = 50


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


@transaction.atomic(durable=True)
def slots_generate(*, rule: ScheduleRule) -> GenerationResult:
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


@transaction.atomic(durable=True)
def schedule_rule_create(*, event: Event, **fields: Any) -> GenerationJob:
    """Store a rule and queue its generation after commit; return the job to follow."""
    from ..tasks import generate_slots_task

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


def generation_job_run(*, job_id: int) -> GenerationJob:
    """Run a generation job once: record running, then the counts or the error."""
    updated = GenerationJob.objects.filter(
        pk=job_id, status__in=[GenerationJob.Status.PENDING, GenerationJob.Status.FAILED]
    ).update(status=GenerationJob.Status.RUNNING, started_at=timezone.now(), error="")
    job = GenerationJob.objects.select_related("rule").get(pk=job_id)
    if not updated:
        return job  # already running or done elsewhere: tasks are idempotent
    try:
        result = slots_generate(rule=job.rule)
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
