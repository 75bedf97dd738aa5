"""Refusals of the booking engine, each with a stable code."""

from apps.core.exceptions import ApplicationError, Conflict, NotFound


class SeatUnavailable(Conflict):
    code = "seat_unavailable"
    message = "Some of these seats are no longer available. Nothing was held."


class HoldInProgress(Conflict):
    code = "hold_in_progress"
    message = "Another hold of yours for this showtime is being made right now. Try again."


class SlotNotOnSale(Conflict):
    code = "slot_not_on_sale"
    message = "This showtime is not on sale."


class TooManySeats(ApplicationError):
    code = "too_many_seats"
    message = "At most 10 seats can be held at once."


class InvalidSeats(ApplicationError):
    code = "invalid_seats"
    message = "Some seats do not belong to this showtime."


class InvalidTicketType(ApplicationError):
    code = "invalid_ticket_type"
    message = "This showtime does not sell that ticket type."


class SeatingMismatch(ApplicationError):
    code = "seating_mismatch"
    message = "Reserved showtimes take a list of seats; general admission takes a quantity."


class HoldNotFound(NotFound):
    code = "hold_not_found"
    message = "No such hold of yours. It may have expired or been released."


class HoldExpired(ApplicationError):
    status_code = 410
    code = "hold_expired"
    message = "The hold has expired; the seats were released. Hold them again."


class PaymentDeclined(ApplicationError):
    status_code = 402
    code = "payment_declined"
    message = "The payment was declined. Your seats are still held: try another payment."


class PaymentProviderError(ApplicationError):
    status_code = 502
    code = "payment_provider_error"
    message = "The payment provider did not answer. Nothing was charged or booked; try again."


class IdempotencyKeyRequired(ApplicationError):
    code = "idempotency_key_required"
    message = "Send an Idempotency-Key header (any unique string up to 255 characters)."


class IdempotencyKeyReused(ApplicationError):
    status_code = 422
    code = "idempotency_key_reused"
    message = "This Idempotency-Key was used with a different request body."


class RequestInProgress(Conflict):
    code = "request_in_progress"
    message = "A request with this Idempotency-Key is still being processed. Repeat it shortly."
    retry_after = 2


class BookingNotFound(NotFound):
    code = "booking_not_found"
    message = "No such booking of yours."


class AlreadyCancelled(Conflict):
    code = "already_cancelled"
    message = "This booking is already cancelled."


class CancellationClosed(Conflict):
    code = "cancellation_closed"
    message = "The showtime has started (or is about to); this booking can no longer be cancelled."


class CapacityBelowSold(Conflict):
    code = "capacity_below_sold"
    message = "The capacity cannot go below the places already sold or held."


class EmailNotVerified(ApplicationError):
    status_code = 403
    code = "email_not_verified"
    message = "Confirm your email address first: open the link we sent, or ask for a new one."


class TicketNotFound(NotFound):
    code = "ticket_not_found"
    message = "No such ticket of yours. A ticket you gave away is no longer yours to give."


class TicketUsed(Conflict):
    code = "ticket_used"
    message = "This ticket was used at the door; it can no longer be given away."


class TicketCancelled(Conflict):
    code = "ticket_cancelled"
    message = "This ticket is cancelled; it can no longer be given away."


class TransferClosed(Conflict):
    code = "transfer_closed"
    message = "The showtime has started (or was called off); its tickets can no longer be given."


class TransferToSelf(ApplicationError):
    code = "transfer_to_self"
    message = "This ticket is yours already: give it to someone else's email address."


class TransferRecipientInvalid(ApplicationError):
    code = "transfer_recipient_invalid"
    message = "This ticket cannot be given to that address. Try another one."


class InvalidTickets(ApplicationError):
    code = "invalid_tickets"
    message = "Name the tickets to cancel by their numbers."


class TicketGivenAway(Conflict):
    code = "ticket_given_away"
    message = "This ticket was given to someone else; only the organizer can cancel it now."


class MoveNotPossible(Conflict):
    code = "move_not_possible"
    message = "This booking cannot be moved to that showtime."


class MoveNoSeats(Conflict):
    code = "move_no_seats"
    message = "The new showtime has no room for this booking; it was left as it was."


class LimitExceeded(Conflict):
    code = "limit_exceeded"
    message = "That is more tickets than one customer may have for this event."


class PromoInvalid(ApplicationError):
    code = "promo_invalid"
    message = "This code is unknown, expired or used up."


class PromoCodeTaken(Conflict):
    code = "promo_code_taken"
    message = "This event has a code with that text already."


class PromoCodeNotFound(NotFound):
    code = "promo_code_not_found"
    message = "No such promo code of yours."
