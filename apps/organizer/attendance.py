"""The portal's attendance pages of a showtime: who came, when, and the door's conflicts.

For the organizer, its managers and admins (the portal's rule, `organizer_required`, and
a showtime of their own, else 404); a scanner works the door, not the portal (403).
"""

import csv
from collections.abc import Iterator

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from apps.checkin import selectors as door
from apps.scheduling.models import Slot

from . import attendance_selectors as attendance
from . import selectors
from .views import _csv_safe, organizer_required

CSV_HEADER = [
    "booking_reference",
    "ticket_number",
    "seat",
    "category",
    "status",
    "admitted_at",
    "gate",
    "staff_email",
    "double_entry",
    "ticket_type",
]
CSV_CHUNK = 2000  # tickets read from the database at a time while streaming


def _own_slot(request: HttpRequest, slot_id: int) -> Slot:
    slot = selectors.organizer_slots(request.user).filter(pk=slot_id).first()
    if slot is None:
        raise Http404("No such showtime of yours.")
    return slot


@require_GET
@organizer_required
def slot_attendance(request: HttpRequest, slot_id: int) -> HttpResponse:
    slot = _own_slot(request, slot_id)
    figures = door.checkin_figures(slot)
    expected = figures["expected"]
    percent = round(100 * figures["checked_in"] / expected) if expected else 0
    context = {
        "slot": slot,
        "tz": slot.screen.venue.timezone,
        "figures": figures,
        "percent": min(percent, 100),
        "chart": attendance.arrivals_chart(attendance.arrivals_by_bucket(slot)),
        "conflicts": list(door.double_entries(slot)),
        "figures_url": reverse("v1:checkin-figures", args=[slot.pk]),
        "socket_path": f"/ws/checkin/{slot.pk}/",
    }
    return render(request, "organizer/slot_attendance.html", context)


class _Echo:
    """A file-like object whose `write` hands the line back, for streaming csv rows."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(slot: Slot) -> Iterator[str]:
    zone = slot.screen.venue.tzinfo
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    for ticket in attendance.attendance_tickets(slot).iterator(chunk_size=CSV_CHUNK):
        admitted = ticket.admitted_at
        cells = [
            ticket.booking.reference,
            str(ticket.number),
            ticket.seat.label if ticket.seat else "",
            ticket.seat.category if ticket.seat else "general",
            ticket.status,
            admitted.astimezone(zone).isoformat(sep=" ", timespec="seconds") if admitted else "",
            ticket.admitted_gate or "",
            ticket.admitted_by or "",
            "yes" if ticket.double_entry else "no",
            ticket.ticket_type_name,
        ]
        # Gates, seat labels and categories are typed by people: none may run as a formula.
        yield writer.writerow([_csv_safe(cell) for cell in cells])


@require_GET
@organizer_required
def slot_attendance_csv(request: HttpRequest, slot_id: int) -> StreamingHttpResponse:
    """One row per ticket of the confirmed bookings, streamed: a big showtime's list is
    never held in memory whole."""
    slot = _own_slot(request, slot_id)
    response = StreamingHttpResponse(_csv_lines(slot), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="showtime-{slot.pk}-attendance.csv"'
    response["Cache-Control"] = "private, no-store"
    return response
