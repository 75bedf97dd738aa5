"""The portal's money page of a showtime: every charge and refund (`bookings.ledger`),
its totals, and whether they reconcile with the bookings; also as CSV.

For the organizer, its managers and admins (`organizer_required`, and a showtime of
their own, else 404).
"""

import csv

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.bookings import ledger

from . import selectors
from .views import organizer_required

CSV_HEADER = [
    "at",
    "kind",
    "amount",
    "booking_reference",
    "provider",
    "provider_ref",
    "by",
    "reason",
    "payment",
]


def _who(entry) -> str:
    if entry.by is None:
        return "VENUE"
    return "(deleted account)" if entry.by.erased else entry.by.email


@require_GET
@organizer_required
def slot_money(request: HttpRequest, slot_id: int) -> HttpResponse:
    slot = selectors.organizer_slots(request.user).filter(pk=slot_id).first()
    if slot is None:
        raise Http404("No such showtime of yours.")
    books = ledger.slot_ledger(slot.pk)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="showtime-{slot.pk}-money.csv"'
        writer = csv.writer(response)
        writer.writerow(CSV_HEADER)
        for entry in books.entries:
            writer.writerow(
                [
                    entry.created_at.isoformat(),
                    entry.kind,
                    entry.amount,
                    entry.booking.reference if entry.booking else "",
                    entry.provider,
                    entry.provider_ref,
                    _who(entry),
                    entry.reason,
                    entry.payment_id,
                ]
            )
        return response
    rows = [
        {"entry": entry, "who": _who(entry), "why": ledger.REASONS.get(entry.reason, entry.reason)}
        for entry in books.entries[:500]
    ]
    return render(
        request, "organizer/slot_money.html", {"slot": slot, "books": books, "rows": rows}
    )
