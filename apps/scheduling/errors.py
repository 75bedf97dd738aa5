"""Refusals of scheduling services, each with a stable code."""

from apps.core.exceptions import ApplicationError, Conflict


class InvalidTimeRange(ApplicationError):
    code = "invalid_time_range"
    message = "The showtime must end after it starts."


class SlotInPast(ApplicationError):
    code = "slot_in_past"
    message = "The showtime would start in the past."


class SlotOverlap(Conflict):
    code = "slot_overlap"
    message = "The showtime overlaps another showtime on this screen."


class SlotStarted(Conflict):
    code = "slot_started"
    message = "The showtime has already started and can no longer be changed."


class EventCancelled(Conflict):
    code = "event_cancelled"
    message = "The event is cancelled; it takes no new showtimes."


class InvalidPrices(ApplicationError):
    code = "invalid_prices"
    message = "The prices do not match the seat categories."


class LayoutEmpty(ApplicationError):
    code = "layout_empty"
    message = "The screen has no seats yet: give it a layout, or use general admission."


class InvalidRule(ApplicationError):
    code = "invalid_rule"
    message = "The schedule rule is not valid."


class RuntimeExceedsOpeningHours(ApplicationError):
    code = "runtime_exceeds_opening_hours"
    message = "The show is longer than the screen's opening hours."


class SlotHasBookings(Conflict):
    code = "slot_has_bookings"
    message = "The showtime has bookings and cannot be deleted; cancel it instead."
