"""The emails of a ticket transfer (sent by `tasks`, after the transfer committed).

- The recipient gets the ticket: the showtime in the venue's time zone and the new QR
  code inside the message. A recipient without a password yet (an account the transfer
  made) also gets a link to set one: the password-reset link of `accounts.recovery`,
  which works once, for `VENUE_PASSWORD_RESET_SECONDS`.
- The giver is told it is done, without the new QR text (it is no longer theirs).
- If the booking is cancelled later, the people holding its tickets are told those no
  longer admit.
"""

from django.conf import settings

from apps.accounts.recovery import reset_link
from apps.core.mail import send_templated

from .models import Booking, Ticket, TicketTransfer
from .selectors import mask_email
from .tickets import qr_png, qr_text


def _context(ticket: Ticket) -> dict:
    slot = ticket.booking.slot
    venue = slot.screen.venue
    return {
        "ticket": ticket,
        "booking": ticket.booking,
        "label": ticket.label,
        "event": slot.event,
        "venue": venue,
        "starts": slot.starts_at,
        "zone": venue.timezone,
    }


def _transfer(transfer_id: int) -> TicketTransfer | None:
    return (
        TicketTransfer.objects.select_related(
            "from_user",
            "to_user",
            "ticket__seat",
            "ticket__booking__slot__event",
            "ticket__booking__slot__screen__venue",
        )
        .filter(pk=transfer_id)
        .first()
    )


def ticket_received_send(*, transfer_id: int, base_url: str) -> None:
    """Email the recipient their ticket, with its current QR code inline."""
    transfer = _transfer(transfer_id)
    if transfer is None:
        return
    ticket, recipient = transfer.ticket, transfer.to_user
    holder_id = ticket.holder_id or ticket.booking.user_id
    if holder_id != recipient.pk or ticket.status == Ticket.Status.CANCELLED:
        return  # given on (or cancelled) before this ran: that one's email tells
    qr = qr_text(ticket)
    cid = f"ticket-{ticket.booking.reference}-{ticket.number}"
    base = base_url.rstrip("/")
    needs_password = not recipient.has_usable_password()
    send_templated(
        "bookings/email/ticket_transferred_to",
        {
            **_context(ticket),
            "name": recipient.full_name or recipient.email,
            "giver": transfer.from_user.full_name or transfer.from_user.email,
            "qr": qr,
            "cid": cid,
            "new_account": needs_password,
            "link": reset_link(recipient, base) if needs_password else f"{base}/bookings/",
            "minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
            "reset_page": f"{base}/password-reset/",
        },
        to=[recipient.email],
        tz=ticket.booking.slot.screen.venue.tzinfo,
        images={cid: qr_png(qr)},
    )


def ticket_given_send(*, transfer_id: int) -> None:
    """Tell the giver the ticket is gone: to whom (masked), and that its old code is void."""
    transfer = _transfer(transfer_id)
    if transfer is None:
        return
    giver = transfer.from_user
    send_templated(
        "bookings/email/ticket_transferred_from",
        {
            **_context(transfer.ticket),
            "name": giver.full_name or giver.email,
            "recipient": mask_email(transfer.to_email),
        },
        to=[giver.email],
        tz=transfer.ticket.booking.slot.screen.venue.tzinfo,
    )


def transferred_tickets_cancelled_send(*, booking_id: int, numbers: list[int] | None = None) -> int:
    """Tell each person holding a ticket of this cancelled booking by transfer (or, with
    `numbers`, holding one of those cancelled tickets of it); how many."""
    bookings = Booking.objects.select_related("slot__event", "slot__screen__venue").filter(
        pk=booking_id
    )
    if numbers is None:
        bookings = bookings.filter(status=Booking.Status.CANCELLED)
    booking = bookings.first()
    if booking is None:
        return 0
    tickets = booking.tickets.filter(holder__isnull=False).select_related("holder", "seat")
    if numbers is not None:
        tickets = tickets.filter(number__in=numbers, status=Ticket.Status.CANCELLED)
    holders: dict[int, list[Ticket]] = {}
    for ticket in tickets:
        ticket.booking = booking
        holders.setdefault(ticket.holder_id, []).append(ticket)
    for held in holders.values():
        holder = held[0].holder
        send_templated(
            "bookings/email/ticket_transfer_cancelled",
            {
                **_context(held[0]),
                "name": holder.full_name or holder.email,
                "tickets": [
                    {"number": t.number, "label": t.label, "reference": booking.reference}
                    for t in held
                ],
            },
            to=[holder.email],
            tz=booking.slot.screen.venue.tzinfo,
        )
    return len(holders)
