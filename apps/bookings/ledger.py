"""The money ledger: one row per charge and per refund, written where the money moves.

- A **charge** row when VENUE learns a payment took money and decides what it is for:
  step 3 books it (`booked`) or cannot (`not_booked`: the hold ran out, or the
  showtime stopped selling, while paying), or a charge that came back after its
  payment was given up (`not_booked`).
- A **refund** row when the provider has refunded it (`payment_refund`, or the
  provider saying so): why comes from its booking: `cancelled_by_customer`,
  `showtime_cancelled` (the organizer called it off), `cancelled_by_staff` (an admin),
  or `not_booked`.

Each row is inserted in the transaction that moves the payment's status, so the
ledger and the payments cannot disagree, and a unique (payment, kind) lets the
database refuse a second charge or refund row of one payment. Rows are never
updated. For a showtime, charges minus refunds equal the totals of its confirmed
bookings plus the refunds still on their way, to the cent (`slot_ledger` checks it,
the organizer's page shows it).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet, Sum

from apps.core.db import require_transaction
from apps.scheduling.models import SlotStatus

from .models import Booking, LedgerEntry, Payment

REASONS = {
    "booked": "paid for the booking",
    "not_booked": "no booking could be made (the hold ran out or the sale stopped while paying)",
    "cancelled_by_customer": "the customer cancelled",
    "showtime_cancelled": "the organizer cancelled the showtime",
    "cancelled_by_staff": "cancelled by staff",
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
        amount=payment.amount,
        provider=payment.provider,
        provider_ref=payment.provider_ref,
        by_id=by_id,
        reason=reason,
    )


@dataclass(frozen=True)
class SlotLedger:
    entries: QuerySet[LedgerEntry]
    charged: Decimal
    refunded: Decimal
    net: Decimal
    booked: Decimal  # the totals of the showtime's confirmed bookings
    owed: Decimal  # charged, refund decided, the provider has not refunded yet
    count: int

    @property
    def reconciles(self) -> bool:
        return self.net == self.booked + self.owed


def slot_ledger(slot_id: int) -> SlotLedger:
    """The showtime's ledger, its totals, and what to check them against: the confirmed
    bookings' totals plus the refunds still on their way (four queries; the rows are
    read when iterated)."""
    sums = dict(
        LedgerEntry.objects.filter(slot_id=slot_id)
        .values("kind")
        .annotate(total=Sum("amount"))
        .values_list("kind", "total")
    )
    charged = sums.get(LedgerEntry.Kind.CHARGE) or Decimal("0.00")
    refunded = sums.get(LedgerEntry.Kind.REFUND) or Decimal("0.00")
    booked = Booking.objects.filter(slot_id=slot_id, status=Booking.Status.CONFIRMED).aggregate(
        total=Sum("total")
    )["total"] or Decimal("0.00")
    owed = Payment.objects.filter(slot_id=slot_id, status=Payment.Status.REFUND_PENDING).aggregate(
        total=Sum("amount")
    )["total"] or Decimal("0.00")
    entries = LedgerEntry.objects.filter(slot_id=slot_id).select_related("booking", "by")
    return SlotLedger(
        entries=entries,
        charged=charged,
        refunded=refunded,
        net=charged - refunded,
        booked=booked,
        owed=owed,
        count=entries.count(),
    )
