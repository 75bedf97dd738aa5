"""What the booking engine holds about a person, for `accounts.privacy` (found there by
autodiscovery): the export's sections and the eraser `user_delete` runs.

Exported: the person's bookings with their tickets (a ticket given away says so, not to
whom), the tickets others gave them, the hand-overs they made (the recipient masked) or
received, their holds and their payments. Never a ticket's code or QR text: those are
the tickets themselves, shown on the booking's page.

Erasing (inside `user_delete`'s transaction, after the waitlist's eraser): every hold of
theirs is released (the seats are announced after commit), then the deletion is refused
with 409 `active_bookings` while a confirmed booking of theirs, or a ticket given to
them, is for a showtime that has not ended: such a ticket still admits at the door and
its refund follows the cancellation rules, so the customer cancels (or goes) first.
Checked after the holds are released, under their locks, so a confirm finishing at the
same moment is either refunded (its hold is gone) or seen here. Bookings, tickets and
payments stay, linked to the anonymised account: the organizer's books. A hand-over to
them keeps the account's placeholder instead of the address it was sent to.
"""

from django.db import transaction
from django.db.models import BooleanField, Case, Q, When
from django.db.models.functions import Now
from rest_framework import serializers

from apps.accounts import privacy
from apps.core.db import require_transaction
from apps.core.exceptions import Conflict

from . import events
from .models import Booking, Hold, Payment, Ticket, TicketTransfer
from .selectors import mask_email
from .services.holds import _hold_delete


class ActiveBookings(Conflict):
    code = "active_bookings"
    message = (
        "You have bookings (or tickets given to you) for shows that have not ended yet. "
        "Cancel them, or go to the show, before deleting your account."
    )


class TicketExport(serializers.Serializer):
    number = serializers.IntegerField()
    seat = serializers.CharField(source="seat.label", allow_null=True)
    status = serializers.ChoiceField(choices=Ticket.Status.choices)
    given_away = serializers.SerializerMethodField(help_text="Someone else holds it now.")

    def get_given_away(self, ticket) -> bool:
        return ticket.holder_id is not None and ticket.holder_id != ticket.booking.user_id


class _ShowtimeFields(serializers.Serializer):
    event = serializers.CharField(source="slot.event.title")
    showtime = serializers.IntegerField(source="slot_id")
    starts_at = serializers.DateTimeField(source="slot.starts_at")


class BookingExport(_ShowtimeFields):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=Booking.Status.choices)
    ends_at = serializers.DateTimeField(source="slot.ends_at")
    venue = serializers.CharField(source="slot.screen.venue.name")
    quantity = serializers.IntegerField()
    total = serializers.DecimalField(max_digits=10, decimal_places=2)
    created_at = serializers.DateTimeField()
    cancelled_at = serializers.DateTimeField(allow_null=True)
    tickets = TicketExport(many=True)


class HeldTicketExport(serializers.Serializer):
    booking = serializers.CharField(source="booking.reference")
    number = serializers.IntegerField()
    seat = serializers.CharField(source="seat.label", allow_null=True)
    status = serializers.ChoiceField(choices=Ticket.Status.choices)
    event = serializers.CharField(source="booking.slot.event.title")
    showtime = serializers.IntegerField(source="booking.slot_id")
    starts_at = serializers.DateTimeField(source="booking.slot.starts_at")


class TransferExport(serializers.Serializer):
    ticket = serializers.SerializerMethodField(help_text="Booking reference and ticket number.")
    given = serializers.BooleanField(help_text="True: you gave it; false: it was given to you.")
    to_email = serializers.SerializerMethodField(help_text="Masked when you gave it.")
    created_at = serializers.DateTimeField()

    def get_ticket(self, transfer) -> str:
        return f"{transfer.ticket.booking.reference}-{transfer.ticket.number}"

    def get_to_email(self, transfer) -> str:
        return mask_email(transfer.to_email) if transfer.given else transfer.to_email


class HoldExport(_ShowtimeFields):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Hold.Kind.choices)
    quantity = serializers.IntegerField()
    total = serializers.DecimalField(max_digits=10, decimal_places=2)
    seats = serializers.SerializerMethodField(help_text="Seat labels; empty for general.")
    expires_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()

    def get_seats(self, hold) -> list[str]:
        return [claim.seat.label for claim in hold.claims.all()]


class PaymentExport(serializers.Serializer):
    id = serializers.IntegerField()
    booking = serializers.CharField(source="booking.reference", allow_null=True)
    showtime = serializers.IntegerField(source="slot_id")
    amount = serializers.DecimalField(max_digits=10, decimal_places=2)
    provider = serializers.CharField()
    provider_ref = serializers.CharField()
    status = serializers.CharField(help_text="pending, charged, succeeded, failed, ...")
    error = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


def _bookings(user):
    return (
        Booking.objects.filter(user=user)
        .select_related("slot__event", "slot__screen__venue")
        .prefetch_related("tickets__seat")
        .order_by("id")
    )


def _held_tickets(user):
    return (
        Ticket.objects.filter(holder=user)
        .exclude(booking__user=user)
        .select_related("seat", "booking__slot__event")
        .order_by("booking_id", "number")
    )


def _transfers(user):
    return (
        TicketTransfer.objects.filter(Q(from_user=user) | Q(to_user=user))
        .annotate(
            given=Case(When(from_user=user, then=True), default=False, output_field=BooleanField())
        )
        .select_related("ticket__booking")
        .order_by("id")
    )


def _holds(user):
    return (
        Hold.objects.filter(user=user)
        .select_related("slot__event")
        .prefetch_related("claims__seat")
        .order_by("id")
    )


def _payments(user):
    return Payment.objects.filter(user=user).select_related("booking").order_by("id")


def erase(user) -> None:
    """Release the user's holds; refuse while a booking or given ticket is still to come."""
    require_transaction()
    for hold in Hold.objects.select_for_update().filter(user=user).order_by("id"):
        released = _hold_delete(hold)
        transaction.on_commit(lambda r=released: events.seats_released(r), robust=True)
    to_come = Q(slot__ends_at__gt=Now())
    bookings = (
        Booking.objects.filter(to_come, user=user, status=Booking.Status.CONFIRMED)
        .order_by("slot__starts_at", "id")
        .values_list("reference", flat=True)
    )
    tickets = (
        Ticket.objects.filter(holder=user, booking__status=Booking.Status.CONFIRMED)
        .exclude(status=Ticket.Status.CANCELLED)
        .filter(booking__slot__ends_at__gt=Now())
        .order_by("booking__slot__starts_at", "booking_id", "number")
        .values_list("booking__reference", "number")
    )
    bookings, tickets = list(bookings), [f"{ref}-{n}" for ref, n in tickets]
    if bookings or tickets:
        raise ActiveBookings(details={"bookings": bookings, "tickets": tickets})
    TicketTransfer.objects.filter(to_user=user).update(to_email=privacy.placeholder_email(user))


privacy.register("bookings", rows=_bookings, serializer=BookingExport, help="Your bookings.")
privacy.register(
    "held_tickets",
    rows=_held_tickets,
    serializer=HeldTicketExport,
    help="Tickets of other people's bookings given to you.",
)
privacy.register(
    "ticket_transfers",
    rows=_transfers,
    serializer=TransferExport,
    help="Tickets you gave, or were given.",
)
privacy.register("holds", rows=_holds, serializer=HoldExport, help="Seats held for you.")
privacy.register("payments", rows=_payments, serializer=PaymentExport, help="Every charge.")
privacy.register_eraser(erase)
