"""What the door answers when it does not admit, each with a stable code (docs/api.md)."""

from apps.core.exceptions import ApplicationError, Conflict, NotFound


class AlreadyCheckedIn(Conflict):
    code = "already_checked_in"
    message = "This ticket is already in."


class WrongShowtime(Conflict):
    code = "wrong_showtime"
    message = "This ticket is for another showtime."


class TicketCancelled(Conflict):
    code = "ticket_cancelled"
    message = "This ticket was cancelled."


class CheckinClosed(Conflict):
    code = "checkin_closed"
    message = "Check-in for this showtime is not open now."


class NotCheckedIn(Conflict):
    code = "not_checked_in"
    message = "This ticket is not in, so it cannot go out."


class ReentryNotAllowed(Conflict):
    code = "reentry_not_allowed"
    message = "This event has no re-entry: exit scans are not taken."


class DoubleEntry(Conflict):
    code = "double_entry"
    message = "This ticket was admitted at two gates while offline."


class InvalidTicket(ApplicationError):
    code = "invalid_ticket"
    message = "This is not a VENUE ticket: forged, damaged or unreadable."


class SlotNotFound(NotFound):
    code = "slot_not_found"
    message = "No such showtime of yours."


class InvalidWindow(ApplicationError):
    code = "invalid_window"
    message = "The check-in window must close after it opens."


BY_RESULT = {
    cls.code: cls
    for cls in (
        AlreadyCheckedIn,
        WrongShowtime,
        TicketCancelled,
        CheckinClosed,
        NotCheckedIn,
        ReentryNotAllowed,
        DoubleEntry,
        InvalidTicket,
    )
}
