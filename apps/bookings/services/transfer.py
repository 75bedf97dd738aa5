"""Give a ticket to another person by email: a new holder and a new QR text, at once.

The ticket's row is locked (after its booking's, the order `booking_cancel` takes them
in), so a transfer and a door scan of the same ticket are judged one after the other:
the check-in scan locks the same row and checks the text against the current `code`.
Either the scan comes first (the ticket is `used`, the transfer is refused 409
`ticket_used`) or the transfer does (a new `code`: the old text is refused at the door
as `invalid_ticket`). The ticket stays the one ticket of its seat: only its holder and
its code change.
"""

from django.db import IntegrityError, transaction
from django.db.models.functions import Now

from apps.accounts.audit import audit
from apps.accounts.models import User
from apps.scheduling.models import Slot, SlotStatus

from .. import errors, events
from ..models import Booking, Ticket, TicketTransfer, new_ticket_code


def ticket_transfer(
    *,
    user,
    email: str,
    base_url: str,
    ticket_id: int | None = None,
    booking_id: int | None = None,
    number: int | None = None,
) -> Ticket:
    """Give the ticket `ticket_id` (or ticket `number` of booking `booking_id`) that
    `user` holds now to the person with `email`, making them an account if they have
    none (it gets a link to set its password). Both are emailed after commit; links in
    the emails start with `base_url` (the site's address)."""
    email = User.objects.normalize_email(email)
    if ticket_id is not None:
        tickets = Ticket.objects.filter(pk=ticket_id)
    else:
        tickets = Ticket.objects.filter(booking_id=booking_id, number=number)
    with transaction.atomic(durable=True):
        found = tickets.values_list("booking_id", flat=True).first()
        if found is None:
            raise errors.TicketNotFound()
        booking = Booking.objects.select_for_update().get(pk=found)
        ticket = tickets.select_for_update().get()
        ticket.booking = booking
        if (ticket.holder_id or booking.user_id) != user.pk:
            raise errors.TicketNotFound()  # someone else's: not revealed
        if ticket.status == Ticket.Status.USED:
            raise errors.TicketUsed()
        if ticket.status != Ticket.Status.VALID or booking.status != Booking.Status.CONFIRMED:
            raise errors.TicketCancelled()
        if not Slot.objects.filter(
            pk=booking.slot_id, status=SlotStatus.SCHEDULED, starts_at__gt=Now()
        ).exists():
            raise errors.TransferClosed()
        if email == User.objects.normalize_email(user.email):
            raise errors.TransferToSelf()
        recipient = _recipient(email)
        # Given back to the buyer: the booking's own ticket again.
        ticket.holder = None if recipient.pk == booking.user_id else recipient
        ticket.code = new_ticket_code()  # the old QR text admits no one from now on
        ticket.save(update_fields=["holder", "code"])
        transfer = TicketTransfer.objects.create(
            ticket=ticket, from_user=user, to_user=recipient, to_email=email
        )
        slot_id = booking.slot_id
        transaction.on_commit(
            lambda: events.ticket_transferred(transfer, slot_id=slot_id, base_url=base_url),
            robust=True,
        )
    return ticket


def _recipient(email: str) -> User:
    """The active account with this email, or a new one that cannot log in until its
    owner sets a password through the link in the email."""
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        try:
            with transaction.atomic():  # a savepoint: the address may be registered right now
                user = User.objects.create_user(email, None)
        except IntegrityError:
            user = User.objects.filter(email__iexact=email).first()
        else:
            audit("user_created", target_user_id=user.pk, via="ticket_transfer")
    if user is None or not user.is_active:
        raise errors.TransferRecipientInvalid()
    return user
