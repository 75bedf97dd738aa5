"""Where scheduling reads live availability from: a hook the booking engine fills.

Scheduling sits below bookings and never imports it. At start-up the bookings
app registers its readers here; until then (or without it) every place counts
as available.
"""

from collections.abc import Callable

AvailabilityReader = Callable[[dict[int, int]], dict[int, int]]
StatusReader = Callable[[object], dict[int, str]]

_readers: dict[str, Callable] = {
    "availability": dict,
    "statuses": lambda slot: {},
}


def register(*, availability: AvailabilityReader, statuses: StatusReader) -> None:
    _readers["availability"] = availability
    _readers["statuses"] = statuses


def availability(capacities: dict[int, int]) -> dict[int, int]:
    return _readers["availability"](capacities)


def statuses(slot) -> dict[int, str]:
    return _readers["statuses"](slot)
