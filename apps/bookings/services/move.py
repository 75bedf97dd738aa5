"""Move a confirmed booking to another showtime of the same event (its organizer does).

All or nothing, in one transaction: the new showtime's seats are claimed through the
same one-claim-per-seat constraint buyers race on (or its general-admission counter
is decremented under its CHECK), so a seat is never sold twice while buyers buy there;
if they cannot all be claimed the booking is left exactly as it was.

- Seats: the same seats when both showtimes play on the same screen and those seats are
  free there; otherwise, for each seat category of the booking, the best free seats of
  that category together (`bookings.seating`).
- Tickets keep their numbers and get new seats and new codes, so every old QR text is
  refused at the door.
- Money: each ticket is priced again at the new showtime (`pricing.quote`, with the
  event's fees and tax, without the promo code it may have had). A cheaper ticket's difference
  is refunded (`refund_difference`, the default) or kept; a dearer one is absorbed by the
  organizer (the customer is never charged more). What the customer has paid moves from
  the old showtime's books to the new one's (`ledger.record_move`).

Both showtimes' rows are locked (FOR NO KEY UPDATE, in id order) for the transaction: a
showtime cannot be cancelled half way through a move into or out of it (its cancellation
then waits, and its job finds the booking where the move left it), while buyers, whose
claims and bookings only share-lock the showtime, never wait for it.
"""

import itertools
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F, Q

from apps.catalog.models import Seat
from apps.core.db import db_now
from apps.scheduling import ticket_types
from apps.scheduling.models import GENERAL_CATEGORY, Seating, Slot, SlotStatus

from .. import errors, events, ledger, pricing
from ..models import (
    Booking,
    BookingMove,
    GeneralInventory,
    PartialRefund,
    Payment,
    SeatClaim,
    Ticket,
    new_ticket_code,
)
from ..seating import SeatSpot, choose_seats
from .cancel import partial_refund_decide
from .holds import Released, _ensure_general_inventory, _reclaim_expired_general

ATTEMPTS = 3  # choices of seats tried when buyers take some between the read and the claim


@dataclass(frozen=True)
class MoveResult:
    booking: Booking
    move: BookingMove
    refund: PartialRefund | None


class _Taken(Exception):
    """Some chosen seats were claimed by a buyer first: roll the savepoint back."""


def booking_move(
    *,
    booking_id: int,
    to_slot_id: int,
    by=None,
    refund_difference: bool = True,
    from_slot_id: int | None = None,
) -> MoveResult:
    """Move the booking to showtime `to_slot_id`, or leave it untouched (an error says
    why: `move_not_possible`, `move_no_seats`, `ticket_used`, ...). `from_slot_id`: only
    if it is still for that showtime (a job moving a showtime's bookings)."""
    with transaction.atomic(durable=True):
        booking = Booking.objects.select_for_update().filter(pk=booking_id).first()
        if booking is None:
            raise errors.BookingNotFound()
        if booking.status != Booking.Status.CONFIRMED:
            raise errors.AlreadyCancelled()
        if from_slot_id is not None and booking.slot_id != from_slot_id:
            raise errors.MoveNotPossible("The booking was moved meanwhile.", code="moved_already")
        source, target = _slots_locked(booking.slot_id, to_slot_id)
        tickets = [
            t
            for t in booking.tickets.select_for_update().order_by("number")
            if t.status != Ticket.Status.CANCELLED
        ]
        for ticket in tickets:
            if ticket.status == Ticket.Status.USED:
                raise errors.TicketUsed(
                    "A ticket of this booking was used at the door; it cannot be moved.",
                    details={"ticket": ticket.number},
                )
        prices = dict(target.prices.values_list("category", "price"))
        by_type = {t.code: t.prices for t in ticket_types.slot_ticket_types(target, prices)}

        def listed(ticket: Ticket, category: str, default: Decimal) -> Decimal:
            """The ticket's type's price at the new showtime (its full price when the
            new one does not sell that type there)."""
            return by_type.get(ticket.ticket_type, {}).get(category, default)

        now = db_now()
        if source.seating == Seating.RESERVED:
            seats, same = _place_reserved(booking, source, target, tickets, prices, now)
            booking.claims.filter(slot_id=source.pk).delete()
            released = Released(source.pk, seat_ids=tuple(sorted(seats)))
            lines = [
                (cat, listed(t, cat, prices[cat]))
                for t, cat in ((t, seats[t.seat_id][1]) for t in tickets)
            ]
        else:
            price = _general_price(prices)
            _place_general(target, len(tickets), now)
            GeneralInventory.objects.filter(slot_id=source.pk).update(
                available=F("available") + len(tickets)
            )
            seats, same = {}, False
            released = Released(source.pk, quantity=len(tickets))
            category = GENERAL_CATEGORY if GENERAL_CATEGORY in prices else next(iter(prices))
            lines = [(GENERAL_CATEGORY, listed(t, category, price)) for t in tickets]
        # What each ticket would cost bought now at the new showtime, fees and tax as the
        # event charges them (no promo code: a discount had, stays had).
        new_prices = pricing.quote(lines, None, pricing.Charges.of(source.event)).paid

        paid = booking.total
        difference = sum(
            (max(t.price - new, Decimal("0")) for t, new in zip(tickets, new_prices, strict=True)),
            Decimal("0.00"),
        )
        for ticket, new in zip(tickets, new_prices, strict=True):
            if ticket.seat_id:
                ticket.seat_id = seats[ticket.seat_id][0]
            ticket.code = new_ticket_code()  # the old QR text admits no one
            if refund_difference:
                ticket.price = min(ticket.price, new)
        Ticket.objects.bulk_update(tickets, ["seat", "code", "price"])
        booking.slot = target
        booking.total = sum((t.price for t in tickets), Decimal("0.00"))
        booking.save(update_fields=["slot", "total"])
        refunded = difference if refund_difference else Decimal("0.00")
        move = BookingMove.objects.create(
            booking=booking,
            from_slot=source,
            to_slot=target,
            seats={str(old): new for old, (new, _) in seats.items()},
            same_seats=same,
            difference=difference,
            refunded=refunded,
            by=by,
        )
        payment = booking.payments.filter(status=Payment.Status.SUCCEEDED).order_by("pk").first()
        if payment is not None:
            # The money goes where the booking goes: later refunds are in the new books.
            booking.payments.update(slot=target)
            # Fees kept from tickets cancelled earlier are in the payment: they travel too.
            ledger.record_move(move, payment, paid + payment.kept)
        refund = partial_refund_decide(
            booking, amount=refunded, reason=PartialRefund.Reason.BOOKING_MOVED, by=by
        )
        new_seat_ids = tuple(sorted(new for new, _ in seats.values()))
        transaction.on_commit(
            lambda: events.booking_moved(booking, move, released, new_seat_ids, refund),
            robust=True,
        )
    return MoveResult(booking, move, refund)


def _slots_locked(source_id: int, target_id: int) -> tuple[Slot, Slot]:
    """Lock both showtimes (id order) and check the move makes sense."""
    if source_id == target_id:
        raise errors.MoveNotPossible("The booking is already for that showtime.")
    slots = {
        slot.pk: slot
        for slot in Slot.objects.select_for_update(no_key=True, of=("self",))
        .select_related("event")
        .filter(pk__in=[source_id, target_id])
        .order_by("pk")
    }
    source, target = slots[source_id], slots.get(target_id)
    move_slots_check(source, target, db_now())
    return source, target


def move_slots_check(source: Slot, target: Slot | None, now: datetime) -> None:
    """Refuse a move between these showtimes (409): not the same event, either one
    cancelled or started, reserved against general admission. Used under the move's
    locks, and up front by a move job so the organizer hears at once."""
    if target is None or target.event_id != source.event_id or target.pk == source.pk:
        raise errors.MoveNotPossible(
            "Bookings move only to another showtime of the same event.",
            code="move_target_not_found",
        )
    if source.status == SlotStatus.CANCELLED:
        raise errors.MoveNotPossible("This showtime was cancelled; its bookings are refunded.")
    if target.status == SlotStatus.CANCELLED:
        raise errors.MoveNotPossible("That showtime was cancelled.")
    if source.starts_at <= now or target.starts_at <= now:
        raise errors.MoveNotPossible("A showtime that has started cannot be moved from or to.")
    if source.seating != target.seating:
        raise errors.MoveNotPossible(
            "Reserved and general-admission showtimes cannot swap bookings."
        )


def _general_price(prices: dict[str, Decimal]) -> Decimal:
    price = prices.get(GENERAL_CATEGORY)
    if price is None and len(prices) == 1:
        price = next(iter(prices.values()))
    if price is None:
        raise errors.MoveNotPossible("That showtime has no general-admission price.")
    return price


def _place_general(target: Slot, quantity: int, now: datetime) -> None:
    """Take `quantity` places of the target's counter (its CHECK keeps it >= 0)."""
    _ensure_general_inventory(target)
    reclaimed = _reclaim_expired_general(target.pk, now)
    taken = GeneralInventory.objects.filter(
        slot=target, available__gte=quantity - reclaimed
    ).update(available=F("available") + reclaimed - quantity)
    if not taken:
        raise errors.MoveNoSeats(details={"needed": quantity})


def _place_reserved(booking, source, target, tickets, prices, now):
    """Claim seats of the target for the booking; return ({old seat: (new seat,
    category)}, whether they are the same seats)."""
    old = {s.pk: s for s in Seat.objects.filter(pk__in=[t.seat_id for t in tickets])}
    missing = sorted({s.category for s in old.values()} - set(prices))
    if missing:
        raise errors.MoveNotPossible(
            "That showtime does not sell these seat categories.", details={"categories": missing}
        )
    if target.screen_id == source.screen_id:
        same = {pk: (pk, seat.category) for pk, seat in old.items()}
        try:
            _claim(booking, target, same, now)
        except _Taken:
            pass
        else:
            return same, True
    for _ in range(ATTEMPTS):
        plan = _plan(old, target, now)
        try:
            _claim(booking, target, plan, now)
        except _Taken:
            continue
        return plan, False
    raise errors.MoveNoSeats()


def _plan(old: dict[int, Seat], target: Slot, now: datetime) -> dict[int, tuple[int, str]]:
    """For each category, the best free seats of the target together, paired with the
    booking's seats in seat order."""
    taken = set(
        SeatClaim.objects.filter(slot_id=target.pk)
        .filter(Q(booking__isnull=False) | Q(expires_at__gt=now))
        .values_list("seat_id", flat=True)
    )
    wanted: dict[str, list[Seat]] = defaultdict(list)
    for seat in sorted(old.values(), key=lambda s: (s.y, s.x, s.pk)):
        wanted[seat.category].append(seat)
    spots: dict[str, list[SeatSpot]] = defaultdict(list)
    for pk, x, y, category in (
        Seat.objects.filter(screen_id=target.screen_id, category__in=list(wanted))
        .order_by("pk")
        .values_list("pk", "x", "y", "category")
    ):
        spots[category].append(SeatSpot(pk, x, y))
    plan = {}
    for category, seats in wanted.items():
        chosen = choose_seats(spots[category], taken, len(seats))
        if chosen is None:
            raise errors.MoveNoSeats(details={"category": category, "needed": len(seats)})
        positions = {s.id: (s.y, s.x) for s in spots[category]}
        chosen.sort(key=lambda pk: positions[pk])
        for seat, new in zip(seats, chosen, strict=True):
            plan[seat.pk] = (new, category)
    return plan


def _claim(booking, target: Slot, plan: dict[int, tuple[int, str]], now: datetime) -> None:
    """Claim the planned seats for the booking in one statement, in a savepoint: a free
    seat (or one an expired hold kept) becomes the booking's; if a live hold or another
    booking has any of them, nothing is claimed (`_Taken`)."""
    seat_ids = sorted(new for new, _ in plan.values())
    table = connection.ops.quote_name(SeatClaim._meta.db_table)
    values = ", ".join(["(%s, %s, %s)"] * len(seat_ids))
    params = list(itertools.chain.from_iterable((target.pk, pk, booking.pk) for pk in seat_ids))
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (slot_id, seat_id, booking_id) VALUES {values}"  # noqa: S608 - placeholders only
                " ON CONFLICT (slot_id, seat_id) DO UPDATE"
                " SET hold_id = NULL, booking_id = EXCLUDED.booking_id, expires_at = NULL"
                f" WHERE {table}.booking_id IS NULL AND {table}.expires_at <= %s"
                " RETURNING seat_id",
                [*params, now],
            )
            claimed = {row[0] for row in cursor.fetchall()}
        if len(claimed) < len(seat_ids):
            raise _Taken
