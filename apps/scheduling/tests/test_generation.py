"""Unit tests of the generation algorithm: no database."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from apps.scheduling.generation import (
    days,
    fixed_showtimes,
    nominal_window_minutes,
    packed_showtimes,
    round_up,
)

BERLIN = ZoneInfo("Europe/Berlin")
LISBON = ZoneInfo("Europe/Lisbon")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def pack(day, opening, closing, minutes, buffer=20, tz=LISBON, day_to=None):
    return packed_showtimes(
        date_from=day,
        date_to=day_to or day,
        weekdays=[],
        opening=opening,
        closing=closing,
        duration=timedelta(minutes=minutes),
        buffer=timedelta(minutes=buffer),
        tz=tz,
    )


def test_round_up_to_five_minutes():
    assert round_up(utc(2030, 1, 1, 10, 0)) == utc(2030, 1, 1, 10, 0)
    assert round_up(utc(2030, 1, 1, 10, 0, 1)) == utc(2030, 1, 1, 10, 5)
    assert round_up(utc(2030, 1, 1, 10, 2, 0, 500)) == utc(2030, 1, 1, 10, 5)
    assert round_up(utc(2030, 1, 1, 23, 58)) == utc(2030, 1, 2, 0, 0)


def test_weekdays_are_iso_and_empty_means_every_day():
    monday = date(2030, 1, 7)
    assert [d.isoweekday() for d in days(monday, monday + timedelta(6), [6, 7])] == [6, 7]
    assert len(days(monday, monday + timedelta(13), [])) == 14
    assert days(monday, monday, [2]) == []


def test_pack_fills_hours_back_to_back_with_buffer_rounded_to_five_minutes():
    # January in Lisbon is UTC+0. 100 min + 20 buffer = 120: 10:00, 12:00, ...
    shows = pack(date(2030, 1, 7), time(10), time(18), 100)
    assert [s.starts_at.strftime("%H:%M") for s in shows] == ["10:00", "12:00", "14:00", "16:00"]
    assert all(s.ends_at - s.starts_at == timedelta(minutes=100) for s in shows)
    # 97 min + 20 = 117, rounded up to 120 again.
    assert [
        s.starts_at.strftime("%H:%M") for s in pack(date(2030, 1, 7), time(10), time(14), 97)
    ] == [
        "10:00",
        "12:00",
    ]


def test_pack_boundary_show_ending_exactly_at_closing_is_kept_one_minute_over_is_not():
    assert len(pack(date(2030, 1, 7), time(10), time(13, 40), 100)) == 2  # 12:00-13:40
    assert len(pack(date(2030, 1, 7), time(10), time(13, 39), 100)) == 1


def test_pack_opening_at_an_odd_minute_starts_at_the_next_five():
    shows = pack(date(2030, 1, 7), time(10, 2), time(12), 60)
    assert shows[0].starts_at == utc(2030, 1, 7, 10, 5)


def test_pack_closing_after_midnight_runs_into_the_next_day():
    shows = pack(date(2030, 1, 7), time(20), time(2), 100)
    assert [s.starts_at for s in shows] == [
        utc(2030, 1, 7, 20),
        utc(2030, 1, 7, 22),
        utc(2030, 1, 8, 0),
    ]


def test_runtime_longer_than_opening_hours_gives_no_showtimes():
    assert pack(date(2030, 1, 7), time(10), time(12), 180) == []
    assert nominal_window_minutes(time(10), time(12)) == 120
    assert nominal_window_minutes(time(20), time(2)) == 360
    assert nominal_window_minutes(time(10), time(10)) == 24 * 60


def test_fixed_times_keep_local_wall_clock_across_spring_forward():
    # Berlin moves from UTC+1 to UTC+2 at 02:00 on 2030-03-31.
    shows = fixed_showtimes(
        date_from=date(2030, 3, 30),
        date_to=date(2030, 4, 1),
        weekdays=[],
        start_times=[time(20)],
        duration=timedelta(minutes=120),
        tz=BERLIN,
    )
    assert [s.starts_at for s in shows] == [
        utc(2030, 3, 30, 19),
        utc(2030, 3, 31, 18),
        utc(2030, 4, 1, 18),
    ]
    assert all(s.starts_at.astimezone(BERLIN).hour == 20 for s in shows)
    assert all(s.ends_at - s.starts_at == timedelta(hours=2) for s in shows)


def test_fixed_time_inside_the_skipped_hour_moves_forward_by_the_gap():
    shows = fixed_showtimes(
        date_from=date(2030, 3, 31),
        date_to=date(2030, 3, 31),
        weekdays=[],
        start_times=[time(2, 30)],
        duration=timedelta(minutes=60),
        tz=BERLIN,
    )
    assert shows[0].starts_at == utc(2030, 3, 31, 1, 30)
    assert shows[0].starts_at.astimezone(BERLIN).strftime("%H:%M") == "03:30"


def test_fixed_time_in_the_repeated_hour_is_its_first_occurrence():
    # Berlin goes back from UTC+2 to UTC+1 at 03:00 on 2030-10-27: 02:30 happens twice.
    shows = fixed_showtimes(
        date_from=date(2030, 10, 27),
        date_to=date(2030, 10, 27),
        weekdays=[],
        start_times=[time(2, 30)],
        duration=timedelta(minutes=60),
        tz=BERLIN,
    )
    assert shows[0].starts_at == utc(2030, 10, 27, 0, 30)


def test_pack_over_the_fall_back_night_gets_the_extra_hour():
    # Open 18:00 to 04:00: 10 hours most nights, 11 on the night the clocks go back.
    normal = pack(date(2030, 10, 19), time(18), time(4), 100, tz=BERLIN)
    long_night = pack(date(2030, 10, 26), time(18), time(4), 100, tz=BERLIN)
    assert len(normal) == 5
    assert len(long_night) == 5
    assert (
        long_night[-1].ends_at - long_night[0].starts_at == normal[-1].ends_at - normal[0].starts_at
    )
    assert (long_night[-1].ends_at - long_night[0].starts_at) == timedelta(minutes=4 * 120 + 100)
    # The extra hour fits one more 40-minute short.
    assert len(pack(date(2030, 10, 26), time(18), time(4), 40, buffer=20, tz=BERLIN)) == 11
    assert len(pack(date(2030, 10, 19), time(18), time(4), 40, buffer=20, tz=BERLIN)) == 10


def test_pack_over_the_spring_forward_night_loses_an_hour():
    assert len(pack(date(2030, 3, 30), time(18), time(4), 40, buffer=20, tz=BERLIN)) == 9
    # Every show lasts its real runtime, whatever the wall clock does.
    shows = pack(date(2030, 3, 30), time(18), time(4), 40, buffer=20, tz=BERLIN)
    assert all(s.ends_at - s.starts_at == timedelta(minutes=40) for s in shows)
    assert shows[-1].ends_at <= datetime(2030, 3, 31, 4, tzinfo=BERLIN)


def test_fixed_times_are_deduplicated_and_sorted():
    shows = fixed_showtimes(
        date_from=date(2030, 1, 7),
        date_to=date(2030, 1, 7),
        weekdays=[],
        start_times=[time(20), time(14), time(20)],
        duration=timedelta(minutes=60),
        tz=LISBON,
    )
    assert [s.starts_at.hour for s in shows] == [14, 20]
