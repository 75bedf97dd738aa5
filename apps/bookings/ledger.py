"""The money ledger: one row per charge and per refund, written where the money moves.

- A **charge** row when VENUE learns a payment took money and decides what it is for:
  step 3 books it (`booked`) or cannot (`not_booked`: the hold ran out, or the
  showtime stopped selling, while paying), or a charge that came back after its
  payment was given up (`not_booked`).
- A **refund** row when the provider has refunded it (`payment_refund`, or the
  provider saying so): why comes from its booking: `cancelled_by_customer`,
  `showtime_cancelled` (the organizer called it off), `cancelled_by_staff` (an admin),
  or `not_booked`. A full refund gives back what partial refunds left.
- A **partial refund** row (kind `refund`, with its `partial_refund`) when the provider
  has refunded some tickets (`tickets_cancelled`) or the difference to a cheaper
  showtime (`booking_moved`).
- A **moved out** row on the old showtime and a **moved in** row on the new one when an
  organizer moves a booking: what the customer has paid for it travels with it.

Each row is inserted in the transaction that moves the payment's status, so the
ledger and the payments cannot disagree, and a unique (payment, kind) lets the
database refuse a second charge or full refund row of one payment (a partial refund
has one row, a move two). Rows are never updated. For a showtime, charges minus
refunds, less what moved out plus what moved in, equal the totals of its confirmed
bookings plus the refunds still on their way plus the booking fees kept when customers
cancelled (an event that does not refund fees), to the cent (`slot_ledger` checks it,
the organizer's page shows it).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, QuerySet, Sum

from apps.core.db import require_transaction
from apps.scheduling.models import SlotStatus

from .models import Booking, BookingMove, LedgerEntry, PartialRefund, Payment

REASONS = {
    "booked": "paid for the booking",
    "not_booked": "no booking could be made (the hold ran out or the sale stopped while paying)",
    "cancelled_by_customer": "the customer cancelled",
    "showtime_cancelled": "the organizer cancelled the showtime",
    "cancelled_by_staff": "cancelled by staff",
    "tickets_cancelled": "some tickets of the booking cancelled",
    "booking_moved": "the booking moved to another showtime",
}


def record_charge(payment: Payment, *, booking: Booking | None) -> LedgerEntry:
    """The payment took money: for `booking`, or (None) for nothing it could book."""
    require_transaction()
    return LedgerEntry.objects.create(
        slot_id=payment.slot_id,
        booking=booking,
        payment=payment,
        kind=LedgerEntry.Kind.CHARGE,
        amount=payment.amount,
        provider=payment.provider,
        provider_ref=payment.provider_ref,
        by_id=payment.user_id,
        reason="booked" if booking is not None else "not_booked",
    )


def record_refund(payment: Payment) -> LedgerEntry:
    """The provider refunded the payment; who and why come from its booking."""
    require_transaction()
    by_id, reason = None, "not_booked"
    if payment.booking_id is not None:
        booking = (
            Booking.objects.select_related("slot")
            .only("user_id", "cancelled_by_id", "slot__status")
            .get(pk=payment.booking_id)
        )
        by_id = booking.cancelled_by_id
        if booking.slot.status == SlotStatus.CANCELLED:
            reason = "showtime_cancelled"
        elif by_id is not None and by_id == booking.user_id:
            reason = "cancelled_by_customer"
        else:
            reason = "cancelled_by_staff"
    return LedgerEntry.objects.create(
        slot_id=payment.slot_id,
        booking_id=payment.booking_id,
        payment=payment,
        kind=LedgerEntry.Kind.REFUND,
        amount=payment.refund_left,
        provider=payment.provider,
        provider_ref=payment.provider_ref,
        by_id=by_id,
        reason=reason,
    )


def record_partial_refund(refund: PartialRefund) -> LedgerEntry:
    """The provider gave back part of a payment (some tickets, a price difference)."""
    require_transaction()
    payment = refund.payment
    return LedgerEntry.objects.create(
        slot_id=refund.slot_id,
        booking_id=refund.booking_id,
        payment=payment,
        partial_refund=refund,
        kind=LedgerEntry.Kind.REFUND,
        amount=refund.amount,
        provider=payment.provider,
        provider_ref=payment.provider_ref,
        by_id=refund.by_id,
        reason=refund.reason,
    )


def record_move(move: BookingMove, payment: Payment, amount: Decimal) -> None:
    """What the customer has paid for the booking (`amount`) leaves the old showtime's
    books and enters the new one's."""
    require_transaction()
    if amount <= 0:
        return
    common = {
        "booking_id": move.booking_id,
        "payment": payment,
        "move": move,
        "amount": amount,
        "provider": payment.provider,
        "provider_ref": payment.provider_ref,
        "by_id": move.by_id,
        "reason": "booking_moved",
    }
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(slot_id=move.from_slot_id, kind=LedgerEntry.Kind.MOVED_OUT, **common),
            LedgerEntry(slot_id=move.to_slot_id, kind=LedgerEntry.Kind.MOVED_IN, **common),
        ]
    )


@dataclass(frozen=True)
class SlotLedger:
    entries: QuerySet[LedgerEntry]
    charged: Decimal
    refunded: Decimal
    moved_in: Decimal
    moved_out: Decimal
    net: Decimal
    booked: Decimal  # the totals of the showtime's confirmed bookings
    owed: Decimal  # refunds decided that the provider has not made yet
    kept: Decimal  # booking fees kept when customers cancelled (the refund policy)
    count: int

    @property
    def reconciles(self) -> bool:
        return self.net == self.booked + self.owed + self.kept


ZERO = Decimal("0.00")


def _sum(queryset, expression="amount") -> Decimal:
    return queryset.aggregate(total=Sum(expression))["total"] or ZERO


def slot_ledger(slot_id: int) -> SlotLedger:
    """The showtime's ledger, its totals, and what to check them against: the confirmed
    bookings' totals plus the refunds still on their way (full refunds of payments now
    in this showtime's books, partial refunds decided here). The rows are read when
    iterated."""
    sums = dict(
        LedgerEntry.objects.filter(slot_id=slot_id)
        .values("kind")
        .annotate(total=Sum("amount"))
        .values_list("kind", "total")
    )
    charged = sums.get(LedgerEntry.Kind.CHARGE) or ZERO
    refunded = sums.get(LedgerEntry.Kind.REFUND) or ZERO
    moved_in = sums.get(LedgerEntry.Kind.MOVED_IN) or ZERO
    moved_out = sums.get(LedgerEntry.Kind.MOVED_OUT) or ZERO
    booked = _sum(Booking.objects.filter(slot_id=slot_id, status=Booking.Status.CONFIRMED), "total")
    owed = _sum(
        Payment.objects.filter(slot_id=slot_id, status=Payment.Status.REFUND_PENDING),
        F("amount") - F("refunded_in_part") - F("kept"),
    ) + _sum(PartialRefund.objects.filter(slot_id=slot_id, status=PartialRefund.Status.PENDING))
    kept = _sum(Payment.objects.filter(slot_id=slot_id), "kept")
    entries = LedgerEntry.objects.filter(slot_id=slot_id).select_related("booking", "by")
    return SlotLedger(
        entries=entries,
        charged=charged,
        refunded=refunded,
        moved_in=moved_in,
        moved_out=moved_out,
        net=charged - refunded + moved_in - moved_out,
        booked=booked,
        owed=owed,
        kept=kept,
        count=entries.count(),
    )
