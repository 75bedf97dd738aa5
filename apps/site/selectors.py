"""Reads for the public pages: events with their next showtime, showtimes by day, seat maps."""

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from django.utils import timezone

from apps.bookings import selectors as bookings
from apps.bookings.models import Booking, Hold, Payment
from apps.catalog.models import Event, Seat
from apps.scheduling import selectors as scheduling
from apps.scheduling import ticket_types
from apps.scheduling.models import Seating, Slot

HOME_EVENTS = 60


def event_search(
    user,
    *,
    search: str = "",
    type: str = "",
    city: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> list[Event]:
    """Events with an upcoming showtime matching the filters, soonest first."""
    from apps.scheduling.api.views import EventFilter

    qs = scheduling.event_list(user, date_from=date_from, date_to=date_to).filter(
        starts_at__isnull=False
    )
    data = {"search": search, "type": type, "city": city}
    filterset = EventFilter({k: v for k, v in data.items() if v}, queryset=qs)
    filterset.is_valid()
    qs = filterset.qs.order_by(*scheduling.event_ordering(None))
    return list(qs[:HOME_EVENTS])


def event_cities() -> list[str]:
    """Cities with a published event that has an upcoming showtime (for the filter)."""
    qs = scheduling.event_list(AnonymousUser()).filter(starts_at__isnull=False)
    return sorted(set(qs.values_list("city", flat=True)))


@dataclass
class Showtime:
    slot: Slot
    local_start: Any
    available: int

    @property
    def sold_out(self) -> bool:
        return self.available <= 0


@dataclass
class ShowDay:
    day: date
    showtimes: list[Showtime] = field(default_factory=list)


def event_showtimes_by_day(event: Event, user) -> list[ShowDay]:
    """The event's upcoming showtimes grouped by local day of their venue."""
    slots = scheduling.event_upcoming_slots(event, user)
    availability = scheduling.slot_availability_map(scheduling.slot_capacities(slots))
    days: OrderedDict[date, ShowDay] = OrderedDict()
    for slot in slots:
        local = timezone.localtime(slot.starts_at, slot.screen.venue.tzinfo)
        day = days.setdefault(local.date(), ShowDay(local.date()))
        day.showtimes.append(Showtime(slot, local, availability[slot.pk]))
    return list(days.values())


def slot_for_page(user, slot_id: int) -> Slot | None:
    return scheduling.slot_visible(user).filter(pk=slot_id).first()


def seat_labels(seat_ids) -> dict[int, str]:
    return dict(Seat.objects.filter(pk__in=list(seat_ids)).values_list("id", "label"))


def _type_suffix(held: list | None, types: list[dict]) -> str:
    """ " (Child)" after a held seat's label when the showtime sells several types."""
    return f" ({held[1]})" if held and len(types) > 1 else ""


def slot_page(slot: Slot, user) -> dict[str, Any]:
    """Everything the showtime page shows: seat map, legend, prices, the viewer's hold."""
    seat_map = scheduling.slot_seat_map(slot)
    seats = seat_map["seats"]
    prices = scheduling.slot_prices(slot)
    columns = max((s["x"] for s in seats), default=-1) + 1
    rows = max((s["y"] for s in seats), default=-1) + 1
    counts: dict[str, int] = {}
    for seat in seats:
        counts[seat["category"]] = counts.get(seat["category"], 0) + 1
    legend = [
        {"category": category, "price": price, "seats": counts.get(category, 0)}
        for category, price in sorted(prices.items(), key=lambda item: (item[1], item[0]))
        if slot.seating == Seating.GENERAL or counts.get(category)
    ]
    hold = None
    if user.is_authenticated:
        hold = bookings.hold_list(user).filter(slot=slot).first()
    hold_seats = sorted(claim.seat_id for claim in hold.claims.all()) if hold else []
    labels = seat_labels(hold_seats)
    types = [t.as_json() for t in ticket_types.slot_ticket_types(slot, prices)]
    held_types = hold.ticket_types if hold else {}
    row_labels = sorted({(s["y"], s["row"]) for s in seats})
    return {
        "seat_map": {
            "slot": slot.pk,
            "version": seat_map["version"],
            "available": seat_map["available"],
            "columns": columns,
            "rows": rows,
            "rowLabels": [{"y": y, "name": name} for y, name in row_labels],
            "seats": [
                {
                    "id": s["id"],
                    "label": s["label"],
                    "category": s["category"],
                    "price": str(s["price"]) if s["price"] is not None else None,
                    "status": s["status"],
                    "x": s["x"],
                    "y": s["y"],
                }
                for s in seats
            ],
            "mine": hold_seats,
            "loggedIn": bool(user.is_authenticated),
            "types": types,
            "mineTypes": {k: v[0] for k, v in held_types.items() if not k.startswith("#")},
        },
        "ticket_types": types,
        "columns": columns,
        "rows": rows,
        "legend": legend,
        "available": seat_map["available"],
        "sold_out": seat_map["available"] <= 0 and not hold,
        "hold": hold,
        "hold_breakdown": bookings.price_breakdown(hold) if hold else None,
        "hold_seat_labels": [
            labels.get(pk, str(pk)) + _type_suffix(held_types.get(str(pk)), types)
            for pk in hold_seats
        ],
        "hold_type_counts": ", ".join(
            f"{n} {name}" for name, n in hold.type_counts(by_name=True).items()
        )
        if hold and len(types) > 1
        else "",
        "local_start": timezone.localtime(slot.starts_at, slot.screen.venue.tzinfo),
    }


def my_holds(user) -> QuerySet[Hold]:
    return bookings.hold_list(user).select_related("slot__event", "slot__screen__venue")


def my_bookings(user) -> dict[str, list[Booking]]:
    """The user's bookings split into upcoming and past (cancelled ones with the past)."""
    now = timezone.now()
    upcoming, past = [], []
    qs = bookings.booking_list(user).select_related("slot__event", "slot__screen__venue")
    for booking in qs:
        live = booking.status == Booking.Status.CONFIRMED and booking.slot.starts_at > now
        (upcoming if live else past).append(booking)
    upcoming.sort(key=lambda b: b.slot.starts_at)
    return {"upcoming": upcoming, "past": past}


def _called_off_reason(booking: Booking) -> str:
    """The organizer's reason if it cancelled this booking's showtime, else ''."""
    try:
        return booking.cancel_item.job.reason  # operations.JobBooking, one per booking
    except ObjectDoesNotExist:
        return ""


def booking_detail(user, booking_id: int) -> dict[str, Any] | None:
    """A booking of the user with its tickets, each with seat label and QR code."""
    booking = (
        bookings.booking_list(user)
        .select_related("slot__event", "slot__screen__venue")
        .filter(pk=booking_id)
        .first()
    )
    if booking is None:
        return None
    payload = bookings.booking_payload(booking, with_qr=True)
    labels = seat_labels(t["seat"] for t in payload["tickets"] if t["seat"])
    tickets = [
        {**t, "label": labels.get(t["seat"]) if t["seat"] else None} for t in payload["tickets"]
    ]
    # Full refunds give back what partial ones (tickets cancelled, a cheaper showtime) and
    # the fees kept by the refund policy left.
    refunds = [
        (status, amount - in_part - kept)
        for status, amount, in_part, kept in booking.payments.filter(
            status__in=[Payment.Status.REFUNDED, Payment.Status.REFUND_PENDING]
        ).values_list("status", "amount", "refunded_in_part", "kept")
    ]
    kept = sum(booking.payments.values_list("kept", flat=True), Decimal(0))
    refunds += [
        ("refunded" if status == "refunded" else "refund_pending", amount)
        for status, amount in booking.partial_refunds.values_list("status", "amount")
    ]
    keeps_fees = not booking.slot.event.refund_fees
    for ticket in tickets:
        ticket["price"] = Decimal(ticket["price"])
        # What cancelling it gives back (the customer's own cancellation).
        ticket["refund"] = ticket["price"] - (Decimal(ticket["fee"]) if keeps_fees else 0)
    return {
        "booking": booking,
        "tickets": tickets,
        "refunded": sum((amount for status, amount in refunds if status == "refunded"), Decimal(0)),
        "refund_pending": sum(
            (amount for status, amount in refunds if status == "refund_pending"), Decimal(0)
        ),
        "fees_kept": kept,
        "keeps_fees": keeps_fees,
        "moved": booking.moves.select_related("from_slot").order_by("-id").first(),
        "breakdown": bookings.price_breakdown(booking),
        "live_tickets": [t for t in tickets if t["status"] == "valid"],
        "called_off": _called_off_reason(booking),
        "local_start": timezone.localtime(booking.slot.starts_at, booking.slot.screen.venue.tzinfo),
        "cancellable": booking.status == Booking.Status.CONFIRMED
        and booking.slot.starts_at > timezone.now(),
    }
