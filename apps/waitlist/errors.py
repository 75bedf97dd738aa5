"""Refusals of the waitlist, each with a stable code."""

from apps.core.exceptions import Conflict, NotFound


class SeatsAvailable(Conflict):
    code = "seats_available"
    message = "This showtime still has enough places for you: hold them instead of waiting."


class AlreadyWaitlisted(Conflict):
    code = "already_waitlisted"
    message = "You are already on this showtime's waitlist."


class EntryNotFound(NotFound):
    code = "waitlist_entry_not_found"
    message = "You are not on this showtime's waitlist."


class SlotNotFound(NotFound):
    code = "slot_not_found"
    message = "No such showtime."
