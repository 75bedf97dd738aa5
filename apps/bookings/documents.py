"""A booking's documents: its tickets as a PDF (fpdf2) and the showtime as an .ics file.

Reads and rendering only, nothing is written. `booking_for_documents(user, id)` finds
the booking the way the booking detail does (`selectors.booking_list`: the owner's,
else None) with its showtime, event and venue in one query; `tickets_pdf` and
`booking_ics` read its tickets with their seats in one more, unless the caller passes
the `tickets` it has in hand (with `seat` selected).

- **PDF**: one page (A5) per ticket, in ticket order: the event, the showtime in the
  venue's time zone (as the confirmation email has it), the venue with its address,
  the seat and its category (or "General admission"), the booking reference and the
  ticket's (`ABCD2345-1`), its QR code (`tickets.qr_png` of `tickets.qr_text`, the
  text the door scans) and that text for typing. A **cancelled** ticket keeps its
  page, so the page count is always the ticket count, but the page says CANCELLED,
  "not valid", and carries no QR code and no QR text; so does a ticket the buyer
  gave away (TRANSFERRED: its QR code is its new holder's). Text is drawn with the
  PDF core fonts (no font file shipped): characters outside Windows-1252 lose their
  accents where Unicode can split them off (`ő` -> `o`), else become `?`.
- **.ics**: one VCALENDAR with one VEVENT: UID `booking-<reference>@venue` (stable, so
  a second import updates the first), DTSTART/DTEND the slot's start and end in UTC,
  SUMMARY the event title, LOCATION the venue's name, address and city, DESCRIPTION
  the reference, the seats and the local start, URL the booking page when the caller
  knows it. A cancelled booking gives STATUS:CANCELLED (SEQUENCE 1) so the calendar
  drops it. DTSTAMP is when the booking was made (or cancelled): the same booking
  always gives the same bytes.
"""

import io
import unicodedata
from datetime import UTC

from django.http import HttpResponse
from django.utils import dateformat, timezone
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from icalendar import Calendar, Event

from .models import Booking, Ticket
from .selectors import booking_list, held_tickets
from .tickets import qr_png, qr_text

PDF_TYPE = "application/pdf"
ICS_TYPE = "text/calendar; charset=utf-8"
WHEN_FORMAT = "l j F Y, H:i"  # as in the confirmation email
PAGE = (148, 210)  # A5 portrait, mm (a tuple: fpdf2 warns on the name "A5")
MARGIN = 12
QR_SIZE = 56  # mm: a version 2 code is about 2 mm a module, easy for a phone
ENCODING = "windows-1252"  # what the core fonts draw (curly quotes, dashes and € too)


def booking_for_documents(user, booking_id: int) -> Booking | None:
    """The user's booking with its slot, event and venue (one query), or None."""
    return (
        booking_list(user)
        .filter(pk=booking_id)
        .select_related("slot__event", "slot__screen__venue")
        .prefetch_related(None)  # the documents read the tickets with their seats
        .first()
    )


def held_ticket(user, ticket_id: int) -> Ticket | None:
    """A ticket someone gave `user` (`selectors.held_tickets`), with its booking's slot,
    event and venue, or None."""
    return held_tickets(user).filter(pk=ticket_id).first()


def filename(booking: Booking, extension: str) -> str:
    return f"venue-{booking.reference}.{extension}"


def download(body: bytes, *, name: str, content_type: str) -> HttpResponse:
    """A file to save (not shown inline), kept by no shared cache: QR codes admit people."""
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _tickets(booking: Booking, tickets: list[Ticket] | None) -> list[Ticket]:
    if tickets is None:
        return list(booking.tickets.select_related("seat").order_by("number"))
    return sorted(tickets, key=lambda t: t.number)


def _given_away(booking: Booking, ticket: Ticket) -> bool:
    """Whether someone else holds the ticket now (a transfer: `Ticket.holder`)."""
    return ticket.holder_id is not None and ticket.holder_id != booking.user_id


def _void(booking: Booking, ticket: Ticket, *, as_holder: bool) -> tuple[str, str] | None:
    """What stands in place of the QR code of a ticket that must not be scanned."""
    if ticket.status == Ticket.Status.CANCELLED:
        return "CANCELLED", "This ticket is not valid: it will not admit anyone."
    if not as_holder and _given_away(booking, ticket):
        return "TRANSFERRED", "This ticket was given to someone else: its QR code is theirs."
    return None


def _seat(ticket: Ticket) -> str:
    if ticket.seat_id is None:
        place = "General admission"
    else:
        place = f"Seat {ticket.seat.label} ({ticket.seat.category})"
    return f"{place}, {ticket.ticket_type_name}" if ticket.ticket_type_name else place


def _where(booking: Booking) -> str:
    venue = booking.slot.screen.venue
    return ", ".join(part for part in (venue.name, venue.address, venue.city) if part)


def _local_start(booking: Booking) -> str:
    venue = booking.slot.screen.venue
    local = timezone.localtime(booking.slot.starts_at, venue.tzinfo)
    return f"{dateformat.format(local, WHEN_FORMAT)} ({venue.timezone})"


def _drawable(text: str) -> str:
    """`text` as the core fonts can draw it (see the module's docstring)."""
    out = []
    for char in text:
        try:
            char.encode(ENCODING)
        except UnicodeEncodeError:
            bare = unicodedata.normalize("NFKD", char).encode(ENCODING, "ignore")
            char = bare.decode(ENCODING) or "?"
        out.append(char)
    return "".join(out)


class _TicketPDF(FPDF):
    def __init__(self):
        super().__init__(unit="mm", format=PAGE)
        self.core_fonts_encoding = ENCODING
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(False)

    def line_of(
        self, size: float, text: str, *, style: str = "", height: float = 6, align: str = "L"
    ) -> None:
        self.set_font("helvetica", style, size)
        self.multi_cell(
            0, height, _drawable(text), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )

    def field(self, label: str, value: str) -> None:
        self.set_font("helvetica", "", 8)
        self.set_text_color(90, 100, 110)
        self.cell(0, 4, label.upper(), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(31, 41, 51)
        self.line_of(11, value)
        self.ln(1.5)


def tickets_pdf(
    booking: Booking, *, tickets: list[Ticket] | None = None, as_holder: bool = False
) -> bytes:
    """The booking's tickets, one page each (a cancelled or given-away one says so and has
    no QR code). `as_holder`: the pages of tickets given to the reader (`held_ticket`),
    printed with their QR codes."""
    tickets = _tickets(booking, tickets)
    slot, event = booking.slot, booking.slot.event
    venue = slot.screen.venue
    pdf = _TicketPDF()
    pdf.set_title(_drawable(f"Tickets {booking.reference}: {event.title}"))
    pdf.set_creator("VENUE")
    pdf.set_creation_date(booking.created_at)
    when, where = _local_start(booking), _where(booking)
    pdf.set_subject(_drawable(f"{event.title}, {when}, {venue.name}"))
    for ticket in tickets:
        void = _void(booking, ticket, as_holder=as_holder)
        pdf.add_page()
        pdf.set_text_color(31, 41, 51)
        pdf.set_font("helvetica", "B", 9)
        pdf.cell(0, 5, "VENUE", new_x=XPos.LMARGIN)
        pdf.cell(0, 5, f"Ticket {ticket.number} of {len(tickets)}", align="R")
        pdf.ln(9)
        long_title = len(event.title) > 60  # up to 200 characters: keep it to a few lines
        pdf.line_of(13 if long_title else 18, event.title, style="B", height=6 if long_title else 8)
        pdf.ln(3)
        pdf.field("When", when)
        pdf.field("Where", f"{where} ({slot.screen.name})")
        pdf.field("Seat", _seat(ticket))
        pdf.field("Booking", f"{booking.reference} (ticket {booking.reference}-{ticket.number})")
        top = max(pdf.get_y() + 8, 96)
        size = min(QR_SIZE, PAGE[1] - MARGIN - 16 - top)  # room for the text below it
        if void:
            pdf.set_xy(MARGIN, top + size / 2 - 12)
            pdf.set_text_color(176, 0, 32)
            pdf.line_of(28, void[0], style="B", height=12, align="C")
            pdf.line_of(10, void[1], align="C")
            continue
        text = qr_text(ticket)
        pdf.image(io.BytesIO(qr_png(text)), x=(PAGE[0] - size) / 2, y=top, w=size)
        pdf.set_xy(MARGIN, top + size + 1)
        pdf.set_font("courier", "", 9)
        pdf.cell(0, 5, text, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("helvetica", "", 8)
        pdf.multi_cell(
            0,
            4,
            "Show this page, printed or on screen, at the door. If the code will not "
            f"scan, staff can type {booking.reference}-{ticket.number}.",
            align="C",
        )
    return bytes(pdf.output())


def booking_ics(
    booking: Booking, *, url: str | None = None, tickets: list[Ticket] | None = None
) -> bytes:
    """The booking as a calendar file: one VEVENT, start and end in UTC."""
    tickets = _tickets(booking, tickets)
    slot = booking.slot
    cancelled = booking.status == Booking.Status.CANCELLED
    seats = ", ".join(t.seat.label for t in tickets if t.seat_id)
    lines = [
        f"Booking {booking.reference}",
        f"Seats: {seats}" if seats else f"General admission: {len(tickets)} ticket(s)",
        f"Starts {_local_start(booking)}",
    ]
    if cancelled:
        lines.insert(0, "CANCELLED")
    if url:
        lines.append(f"Tickets: {url}")
    event = Event()
    event.add("uid", f"booking-{booking.reference}@venue")
    event.add("dtstamp", (booking.cancelled_at or booking.created_at).astimezone(UTC))
    event.add("dtstart", slot.starts_at.astimezone(UTC))
    event.add("dtend", slot.ends_at.astimezone(UTC))
    event.add("summary", slot.event.title)
    event.add("location", _where(booking))
    event.add("description", "\n".join(lines))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("sequence", 1 if cancelled else 0)
    if url:
        event.add("url", url)
    calendar = Calendar()
    calendar.add("prodid", "-//VENUE//Booking calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add_component(event)
    return calendar.to_ical()
