"""Reads of the booking engine: live seat statuses, availability, holds and bookings.

"Live" is judged by the database clock at read time: a claim or hold whose
`expires_at` has passed counts as free, whether or not the sweeper has run.
"""

from typing import Any

from django.conf import settings
from django.db.models import Count, IntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import Now

from apps.catalog.models import Seat
from apps.scheduling.models import Seating, Slot

from .models import Booking, GeneralInventory, Hold, SeatClaim, Ticket
from .tickets import qr_svg_uri, qr_text


def live_claims() -> QuerySet[SeatClaim]:
    return SeatClaim.objects.filter(Q(booking__isnull=False) | Q(expires_at__gt=Now()))


def seat_statuses(slot: Slot) -> dict[int, str]:
    """Status of each held or booked seat of `slot`, by seat id."""
    return {
        seat_id: "booked" if booking_id else "held"
        for seat_id, booking_id in live_claims()
        .filter(slot_id=slot.pk)
        .values_list("seat_id", "booking_id")
    }


def slot_availability_map(capacities: dict[int, int]) -> dict[int, int]:
    """Places left per slot id, given capacities; three queries whatever the number of slots.

    General-admission slots have an inventory row once anyone held there (places
    left = its counter plus lapsed holds not yet reclaimed); reserved slots count
    their live seat claims.
    """
    ids = list(capacities)
    inventory = dict(
        GeneralInventory.objects.filter(slot_id__in=ids).values_list("slot_id", "available")
    )
    lapsed = (
        dict(
            Hold.objects.filter(slot_id__in=list(inventory), expires_at__lte=Now())
            .values("slot_id")
            .annotate(q=Sum("quantity"))
            .values_list("slot_id", "q")
        )
        if inventory
        else {}
    )
    reserved = [pk for pk in ids if pk not in inventory]
    claimed = dict(
        live_claims()
        .filter(slot_id__in=reserved)
        .values("slot_id")
        .annotate(n=Count("id"))
        .values_list("slot_id", "n")
    )
    return {
        pk: inventory[pk] + lapsed.get(pk, 0)
        if pk in inventory
        else _reserved_left(capacity, claimed.get(pk, 0))
        for pk, capacity in capacities.items()
    }


def _reserved_left(capacity: int, claimed: int) -> int:
    """Places left of a reserved showtime: its seats less its live claims (held or booked)."""
    return max(capacity - claimed, 0)


def slot_live_view(slot_id: int, capacity: int, seating: str, seat_ids: list[int]):
    """Places left and the statuses of `seat_ids`, as the database has them now.

    A reserved slot takes one query: its live claims among the changed seats,
    and (the row with seat id -1) the count of all its live claims."""
    if seating != Seating.RESERVED:  # general admission: counters, no seats
        return slot_availability_map({slot_id: capacity})[slot_id], {}
    live = live_claims().filter(slot_id=slot_id)
    count = (
        live.annotate(k=Value(-1, output_field=IntegerField()))
        .values("k")
        .annotate(n=Count("id"))
        .values_list("k", "n")
    )
    rows = (
        count.union(
            live.filter(seat_id__in=seat_ids).values_list("seat_id", "booking_id"), all=True
        )
        if seat_ids
        else count
    )
    statuses = dict.fromkeys((str(pk) for pk in sorted(seat_ids)), "available")
    claimed = 0
    for seat_id, value in rows:
        if seat_id == -1:
            claimed = value
        else:
            statuses[str(seat_id)] = "booked" if value else "held"
    return _reserved_left(capacity, claimed), statuses


def slot_available(slot_id: int) -> int:
    capacity = Slot.objects.values_list("capacity", flat=True).get(pk=slot_id)
    return slot_availability_map({slot_id: capacity})[slot_id]


def seatmap_snapshot(slot_id: int) -> dict[str, Any] | None:
    """The live seat map of a slot as the WebSocket snapshot, or None if there is no such slot.

    The version is read before the statuses: every change whose version is not
    above it has committed by then, so the statuses include it (see realtime).
    """
    slot = Slot.objects.filter(pk=slot_id).only("id", "seating", "capacity", "screen_id").first()
    if slot is None:
        return None
    version = Slot.objects.filter(pk=slot_id).values_list("seatmap_version", flat=True).get()
    seats: dict[str, str] = {}
    if slot.seating == Seating.RESERVED:
        statuses = seat_statuses(slot)
        seats = {
            str(pk): statuses.get(pk, "available")
            for pk in Seat.objects.filter(screen_id=slot.screen_id)
            .order_by("id")
            .values_list("id", flat=True)
        }
    return {
        "type": "snapshot",
        "version": version,
        "available": slot_availability_map({slot.pk: slot.capacity})[slot.pk],
        "seats": seats,
    }


def hold_list(user) -> QuerySet[Hold]:
    """The user's live holds, waitlist offers included."""
    return (
        Hold.objects.filter(user=user, expires_at__gt=Now())
        .prefetch_related("claims")
        .order_by("expires_at", "id")
    )


def price_breakdown(priced: Hold | Booking) -> dict[str, Any]:
    """How a hold's or booking's total was made (as priced; a booking made before the
    breakdown was kept shows its total and discount only, in the site's currency: the
    only one there was then)."""
    stored = priced.breakdown or {}
    return {
        "subtotal": stored.get("subtotal", str(priced.total + priced.discount)),
        "discount": stored.get("discount", str(priced.discount)),
        "fees": stored.get("fees", "0.00"),
        "tax": stored.get("tax", "0.00"),
        "tax_included": stored.get("tax_included", True),
        "total": stored.get("total", str(priced.total)),
        "currency": stored.get("currency", settings.VENUE_CURRENCY),
    }


def hold_payload(hold: Hold) -> dict[str, Any]:
    return {
        "id": hold.pk,
        "slot": hold.slot_id,
        "seats": sorted(
            hold.seat_ids
            if hasattr(hold, "seat_ids")
            else (claim.seat_id for claim in hold.claims.all())
        ),
        "quantity": hold.quantity,
        "total": str(hold.total),
        "subtotal": str(hold.subtotal),
        "discount": str(hold.discount),
        "breakdown": price_breakdown(hold),
        "promo_code": hold.promo_code.code if hold.promo_code_id else None,
        "ticket_types": hold.type_counts(),
        "kind": hold.kind,
        "expires_at": hold.expires_at.isoformat().replace("+00:00", "Z"),
    }


def hold_promo_code(user, hold_id: int) -> str | None:
    """The code a hold of `user` was priced with (None: none, or no such hold)."""
    return (
        Hold.objects.filter(pk=hold_id, user=user)
        .values_list("promo_code__code", flat=True)
        .first()
    )


def booking_list(user) -> QuerySet[Booking]:
    # `tickets__holder`: no query unless a ticket was given away (no ids to look up).
    return Booking.objects.filter(user=user).prefetch_related("tickets__holder").order_by("-id")


def booking_get(user, booking_id: int) -> Booking | None:
    return booking_list(user).filter(pk=booking_id).select_related("slot__event").first()


def booking_for_payload(booking_id: int) -> Booking:
    """A booking read afresh with what its payload shows (after a change to it)."""
    return Booking.objects.prefetch_related("tickets__holder").get(pk=booking_id)


def mask_email(email: str) -> str:
    """`r***@example.com`: enough for the giver to recognise, not to harvest."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def ticket_body(ticket: Ticket, *, buyer_id: int) -> dict[str, Any]:
    """A ticket as the booking detail shows it: its status and the QR text and image.

    A ticket given away (its holder is not the buyer) shows to whom, masked, and none
    of its secrets: the QR text is the holder's now."""
    if ticket.holder_id is not None and ticket.holder_id != buyer_id:
        return {
            "number": ticket.number,
            "seat": ticket.seat_id,
            "code": None,
            "status": ticket.status,
            "price": str(ticket.price),
            "fee": str(ticket.fee),
            "type": ticket.ticket_type or None,
            "type_name": ticket.ticket_type_name or None,
            "qr": None,
            "qr_svg": None,
            "transferred_to": mask_email(ticket.holder.email),
        }
    qr = qr_text(ticket)
    return {
        "number": ticket.number,
        "seat": ticket.seat_id,
        "code": ticket.code,
        "status": ticket.status,
        "price": str(ticket.price),
        "fee": str(ticket.fee),
        "type": ticket.ticket_type or None,
        "type_name": ticket.ticket_type_name or None,
        "qr": qr,
        "qr_svg": qr_svg_uri(qr),
        "transferred_to": None,
    }


def held_tickets(user) -> QuerySet[Ticket]:
    """The tickets `user` holds because someone gave them (their own bookings' tickets
    are with those bookings), soonest showtime first."""
    return (
        Ticket.objects.filter(holder=user)
        .select_related("seat", "booking__slot__event", "booking__slot__screen__venue")
        .order_by("booking__slot__starts_at", "booking_id", "number")
    )


def held_ticket_payload(ticket: Ticket) -> dict[str, Any]:
    """A ticket given to its holder, as `GET tickets/` and "My bookings" show it."""
    slot = ticket.booking.slot
    qr = qr_text(ticket)
    return {
        "id": ticket.pk,
        "booking_reference": ticket.booking.reference,
        "number": ticket.number,
        "slot": slot.pk,
        "event_title": slot.event.title,
        "starts_at": slot.starts_at.isoformat().replace("+00:00", "Z"),
        "seat": ticket.seat_id,
        "seat_label": ticket.seat.label if ticket.seat else None,
        "status": ticket.status,
        "booking_status": ticket.booking.status,
        "qr": qr,
        "qr_svg": qr_svg_uri(qr),
    }


def booking_payload(
    booking: Booking, *, with_qr: bool = False, tickets: list[Ticket] | None = None
) -> dict[str, Any]:
    """The API's booking body; pass `tickets` when the caller has them in hand."""
    tickets = sorted(booking.tickets.all() if tickets is None else tickets, key=lambda t: t.number)
    payload = {
        "id": booking.pk,
        "reference": booking.reference,
        "status": booking.status,
        "slot": booking.slot_id,
        # A live booking's seats are its live tickets' (some may have been cancelled).
        "seats": sorted(
            t.seat_id
            for t in tickets
            if t.seat_id
            and (booking.status == Booking.Status.CANCELLED or t.status != Ticket.Status.CANCELLED)
        ),
        "quantity": booking.quantity,
        "total": str(booking.total),
        "discount": str(booking.discount),
        "breakdown": price_breakdown(booking),
        "created_at": booking.created_at.isoformat().replace("+00:00", "Z"),
    }
    if with_qr:
        payload["tickets"] = [ticket_body(t, buyer_id=booking.user_id) for t in tickets]
    return payload
