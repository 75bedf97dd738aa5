"""What an organizer operation answers when it cannot start, each with a stable code."""

from apps.core.exceptions import Conflict, NotFound


class JobNotFound(NotFound):
    code = "job_not_found"
    message = "No such job of yours."


class SlotNotCancellable(Conflict):
    code = "slot_not_cancellable"
    message = "This showtime has started or ended: it can no longer be cancelled."


class SlotNotFound(NotFound):
    code = "slot_not_found"
    message = "No such showtime of yours."


class EventNotFound(NotFound):
    code = "event_not_found"
    message = "No such event of yours."
