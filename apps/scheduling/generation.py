"""The slot-generation algorithm: a rule becomes a list of showtimes. No database here.

Local wall-clock times are turned into instants in the venue's time zone, so a
20:00 show stays at 20:00 across DST changes. A local time that does not exist
(skipped by a spring-forward change) is read with the offset before the change,
i.e. it moves forward by the gap; an ambiguous one (repeated by a fall-back
change) is its first occurrence. Durations are real elapsed time.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ROUND_MINUTES = 5


@dataclass(frozen=True, order=True)
class Showtime:
    starts_at: datetime
    ends_at: datetime


def round_up(moment: datetime, minutes: int = ROUND_MINUTES) -> datetime:
    """Round an aware datetime up to the next multiple of `minutes` (UTC-aligned).

    Every current UTC offset is a multiple of 15 minutes, so this is also a round
    local time.
    """
    step = minutes * 60
    seconds = moment.timestamp()
    rounded = -(-int(seconds) // step) * step
    if rounded < seconds:
        rounded += step
    return datetime.fromtimestamp(rounded, tz=UTC)


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def days(date_from: date, date_to: date, weekdays: Iterable[int]) -> list[date]:
    """The days of the range whose ISO weekday (1 Monday .. 7 Sunday) is wanted; all if none."""
    wanted = set(weekdays) or set(range(1, 8))
    count = (date_to - date_from).days + 1
    return [d for d in (date_from + timedelta(n) for n in range(count)) if d.isoweekday() in wanted]


def opening_window(
    day: date, opening: time, closing: time, tz: ZoneInfo
) -> tuple[datetime, datetime]:
    """The opening hours of `day` as UTC instants; closing at or before opening is next day."""
    close_day = day if closing > opening else day + timedelta(days=1)
    return local_instant(day, opening, tz), local_instant(close_day, closing, tz)


def nominal_window_minutes(opening: time, closing: time) -> int:
    """Length of the opening hours on a day without a DST change."""
    start = opening.hour * 60 + opening.minute
    end = closing.hour * 60 + closing.minute
    return end - start if end > start else end + 24 * 60 - start


def fixed_showtimes(
    *,
    date_from: date,
    date_to: date,
    weekdays: Iterable[int],
    start_times: Iterable[time],
    duration: timedelta,
    tz: ZoneInfo,
) -> list[Showtime]:
    """One showtime per wanted day and start time."""
    starts = sorted(set(start_times))
    shows = []
    for day in days(date_from, date_to, weekdays):
        for at in starts:
            start = local_instant(day, at, tz)
            shows.append(Showtime(start, start + duration))
    return sorted(set(shows))


def packed_showtimes(
    *,
    date_from: date,
    date_to: date,
    weekdays: Iterable[int],
    opening: time,
    closing: time,
    duration: timedelta,
    buffer: timedelta,
    tz: ZoneInfo,
) -> list[Showtime]:
    """Back-to-back showtimes filling each day's opening hours.

    The first starts at opening (rounded up to 5 minutes); each next one starts
    after the previous ends plus the cleaning buffer, rounded up to 5 minutes; a
    show that would end after closing is left out. A day whose opening hours are
    shorter than the show gets none.
    """
    shows = []
    for day in days(date_from, date_to, weekdays):
        open_at, close_at = opening_window(day, opening, closing, tz)
        start = round_up(open_at)
        while start + duration <= close_at:
            shows.append(Showtime(start, start + duration))
            start = round_up(start + duration + buffer)
    return shows
