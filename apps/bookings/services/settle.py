"""Settling a payment: from charged to booked (step 3 of confirm) or refunded, exactly once.

Every status change of a payment is a compare-and-set, and step 3 locks the hold and
its claims, so the request, a repeat of it and the reconciler may all try to settle
one payment and only one of them books or refunds it."""

import contextlib
import itertools
import logging
import time
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models.functions import Now
from django.utils import timezone

from apps.core.exceptions import database_unavailable, error_body
from apps.scheduling.models import Seating, Slot

from .. import errors, events, ledger, pricing
from ..models import (
    Booking,
    Hold,
    IdempotencyRecord,
    Payment,
    PromoUse,
    SeatClaim,
    Ticket,
)
from ..payments import ProviderUnavailable, get_provider
from .holds import _hold_locked
from .idempotency import _idempotency_finish

logger = logging.getLogger("apps.bookings.services")


def _payment_set(payment: Payment, status: str, **fields) -> None:
    fields.update(status=status, updated_at=timezone.now())
    Payment.objects.filter(pk=payment.pk).update(**fields)
    for name, value in fields.items():
        setattr(payment, name, value)


def _payment_move(payment: Payment, source: str, status: str, **fields) -> bool:
    """Compare-and-set: move the payment from `source` to `status`; False if another
    settler moved it first (then nothing is written)."""
    fields.update(status=status, updated_at=timezone.now())
    if not Payment.objects.filter(pk=payment.pk, status=source).update(**fields):
        return False
    for name, value in fields.items():
        setattr(payment, name, value)
    return True


def _settle_charged(payment: Payment, ref: str) -> dict:
    """Record the charge and write the booking (step 3); return its payload. A database
    outage here is retried for VENUE_CONFIRM_SETTLE_SECONDS, then raised: the money has
    moved, so this is the step worth waiting for."""
    deadline = time.monotonic() + settings.VENUE_CONFIRM_SETTLE_SECONDS
    delay = 0.2
    while True:
        try:
            if not _payment_move(
                payment, Payment.Status.PENDING, Payment.Status.CHARGED, provider_ref=ref
            ):
                _charged_late(payment, ref)
            return _booking_finalize(payment)[1]
        except Exception as exc:
            if not database_unavailable(exc) or time.monotonic() + delay > deadline:
                raise
            logger.warning(
                "confirm_settle_retry: payment %s after %s", payment.pk, type(exc).__name__
            )
            connection.close()  # a fresh connection (from the pool) for the next try
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


def _charged_late(payment: Payment, ref: str) -> None:
    """Our charge went through but another settler moved the pending payment first: it
    found the charge (fine, step 3 sorts out who books), or found none and gave up."""
    payment.refresh_from_db(fields=["status", "idempotency"])
    if payment.status == Payment.Status.FAILED and _charged_after_all(payment, ref):
        logger.warning("payment %s charged after it was given up: refunding", payment.pk)
        events.refund_requested(payment.pk)
        raise errors.PaymentProviderError(
            "The payment provider answered too late; the charge will be refunded. Try again."
        )


def _charged_after_all(payment: Payment, ref: str) -> bool:
    """A given-up payment did charge: it goes to refund, and the charge into the ledger."""
    with transaction.atomic(durable=True):
        if not _payment_move(
            payment, Payment.Status.FAILED, Payment.Status.REFUND_PENDING, provider_ref=ref
        ):
            return False
        ledger.record_charge(payment, booking=None)
    return True


def _payment_settle(payment: Payment, *, give_up: bool = True) -> bool:
    """Finish a `pending` or `charged` payment its request left: ask the provider, then
    book or refund (step 3). Safe to run beside the request itself or another settler.

    A charge still pending at the provider (3-D Secure, processing) is left alone (False)
    unless `give_up` (a stale settler: a repeat of the request, the reconciler) and nobody
    will finish it: its customer's hold is over, or it was never confirmed. Then it is
    abandoned at the provider, which says where it ended (cancelled, or charged after all).
    May raise ProviderUnavailable."""
    if payment.status == Payment.Status.PENDING:
        provider = get_provider(payment.provider)
        state = provider.state(key=payment.idempotency_key, ref=payment.provider_ref)
        if state.pending:
            if not give_up or (state.needs_customer and _hold_live(payment)):
                return False
            state = provider.abandon(ref=state.ref)
            if state.pending:
                return False
        if not state.ok:
            _payment_failed(payment, state.reason or "no charge found at the provider")
            return True
        if not _payment_move(
            payment, Payment.Status.PENDING, Payment.Status.CHARGED, provider_ref=state.ref
        ):
            payment.refresh_from_db(fields=["status"])
            if payment.status != Payment.Status.CHARGED:
                return True  # another settler finished it
    # A refund is an answer too: step 3 recorded it under the key.
    with contextlib.suppress(errors.HoldExpired, errors.SlotNotOnSale):
        _booking_finalize(payment)
    return True


def _hold_live(payment: Payment) -> bool:
    """The payment's hold is still there and unexpired (by the database's clock)."""
    return bool(payment.hold_id) and (
        Hold.objects.filter(pk=payment.hold_id, expires_at__gt=Now()).exists()
    )


def _payment_failed(payment: Payment, reason: str) -> None:
    """Fail a pending payment nothing was (or will be) charged for. A key still in
    progress is freed, so a repeat pays afresh; a key that answered 202 (the customer was
    sent to 3-D Secure) answers how it ended: 402 (hold kept), or 410 if the hold is over."""
    if not _payment_move(
        payment, Payment.Status.PENDING, Payment.Status.FAILED, error=reason[:200]
    ):
        return
    if not payment.idempotency_id:
        return
    record = IdempotencyRecord.objects.filter(pk=payment.idempotency_id)
    if record.filter(status=IdempotencyRecord.Status.IN_PROGRESS).delete()[0]:
        logger.info("payment %s: no charge at the provider (%s), key freed", payment.pk, reason)
        return
    if _hold_live(payment):
        refusal = errors.PaymentDeclined()
    else:
        refusal = errors.HoldExpired(
            "The hold expired before the payment was completed; nothing was charged. "
            "Hold the seats again."
        )
    logger.info("payment %s failed after 202 (%s): %s", payment.pk, reason, refusal.code)
    record.filter(response_status=202).update(
        response_status=refusal.status_code, response_body=error_body(refusal.code, refusal.message)
    )


def _idempotency_settle_stale(*, user, key: str) -> bool:
    """For a repeat that found its key in progress: settle the payment the first request
    left if nobody has moved it for VENUE_PAYMENT_STALE_SECONDS. True if it did (the key
    now holds the final answer, or is free again)."""
    record = IdempotencyRecord.objects.filter(
        user=user, key=key, status=IdempotencyRecord.Status.IN_PROGRESS
    ).first()
    if record is None:
        return True  # finished or freed since: claim it again
    payment = record.payments.order_by("-id").first()
    stale_before = timezone.now() - timedelta(seconds=settings.VENUE_PAYMENT_STALE_SECONDS)
    if payment is None or payment.updated_at > stale_before:
        return False  # its request is still at work
    logger.info("payment %s: settled by a repeat of its request", payment.pk)
    return _idempotency_settle(record, payment)


def _idempotency_settle(record: IdempotencyRecord, payment: Payment) -> bool:
    """Bring an in-progress key to its final answer from its payment; True if settled."""
    if payment.status in (Payment.Status.PENDING, Payment.Status.CHARGED):
        try:
            _payment_settle(payment)
        except ProviderUnavailable as exc:
            logger.warning("payment %s: provider unavailable while settling: %s", payment.pk, exc)
            return False
        payment.refresh_from_db(fields=["status", "booking"])
    in_progress = IdempotencyRecord.objects.filter(
        pk=record.pk, status=IdempotencyRecord.Status.IN_PROGRESS
    )
    if payment.status == Payment.Status.SUCCEEDED:
        from ..selectors import booking_payload

        if in_progress.exists():
            _idempotency_finish(record, 201, booking_payload(payment.booking))
        return True
    if payment.status == Payment.Status.FAILED:
        in_progress.delete()  # declined or never charged: the client may try again
        return True
    return not in_progress.exists()


def _claims_intact(hold: Hold, seat_ids: tuple[int, ...]) -> bool:
    """True unless a reserved hold lost seats (its claims were cleared as expired)."""
    if len(seat_ids) == hold.quantity:
        return True
    seating = Slot.objects.values_list("seating", flat=True).get(pk=hold.slot_id)
    return seating != Seating.RESERVED


def _booking_finalize(payment: Payment) -> tuple[Booking, dict]:
    """Step 3: write the booking for a charged payment, or refund it if the hold is gone.

    Two settlers of one payment queue on the hold's lock; the payment's own move from
    `charged` is a compare-and-set, so only one of them books or refunds, and the other
    rolls back and answers with what the first one did."""
    try:
        return _booking_finalize_once(payment)
    except _SettledElsewhere:
        pass
    from ..selectors import booking_payload

    status, booking_id = Payment.objects.values_list("status", "booking_id").get(pk=payment.pk)
    if status == Payment.Status.SUCCEEDED:
        booking = Booking.objects.get(pk=booking_id)
        return booking, booking_payload(booking)
    raise errors.HoldExpired("This payment was refunded; hold the seats again.")


class _SettledElsewhere(Exception):
    """Another settler moved the payment out of `charged` first: roll ours back."""


def _booking_finalize_once(payment: Payment) -> tuple[Booking, dict]:
    from ..selectors import booking_payload

    with transaction.atomic(durable=True):
        hold = _hold_locked(pk=payment.hold_id) if payment.hold_id else None
        # `expired` is judged when the locking statement started: a hold that expires
        # while we wait for its lock still books only if its claims are intact, and
        # locking them (here) is what settles that against a new hold taking them over.
        # Lock the hold's claims too: from here on no new hold can take them over.
        seat_ids = ()
        if hold is not None:
            seat_ids = tuple(
                sorted(
                    SeatClaim.objects.select_for_update()
                    .filter(hold=hold)
                    .order_by("seat_id")
                    .values_list("seat_id", flat=True)
                )
            )
        bookable = hold is not None and not hold.expired and _claims_intact(hold, seat_ids)
        if bookable and hold.on_sale:
            booking = Booking.objects.create(
                user_id=hold.user_id,
                slot_id=hold.slot_id,
                quantity=hold.quantity,
                total=hold.total,
                discount=hold.discount,
                breakdown=hold.breakdown,
                promo_code_id=hold.promo_code_id,
            )
            if hold.promo_code_id is not None:  # the code's use is spent for good
                PromoUse.objects.filter(hold_ref=hold.pk).update(
                    booking=booking, hold_ref=None, expires_at=None
                )
            prices = pricing.ticket_prices(
                total=hold.total,
                seat_ids=seat_ids,
                quantity=hold.quantity,
                recorded=hold.seat_prices,
            )
            if seat_ids:
                hold.claims.update(booking=booking, hold=None, expires_at=None)
            keys = pricing.ticket_keys(seat_ids, hold.quantity)
            kinds = [hold.ticket_types.get(key, ("", "")) for key in keys]
            fees = [Decimal(hold.seat_fees.get(key, "0")) for key in keys]
            tickets = [
                Ticket(
                    booking=booking,
                    seat_id=pk,
                    number=i,
                    price=price,
                    fee=fee,
                    ticket_type=kind[0],
                    ticket_type_name=kind[1],
                )
                for i, (pk, price, kind, fee) in enumerate(
                    itertools.zip_longest(seat_ids, prices, kinds, fees), 1
                )
            ]
            Ticket.objects.bulk_create(tickets)
            if not _payment_move(
                payment,
                Payment.Status.CHARGED,
                Payment.Status.SUCCEEDED,
                booking=booking,
                hold=None,
            ):
                raise _SettledElsewhere
            ledger.record_charge(payment, booking=booking)
            hold.delete()
            payload = booking_payload(booking, tickets=tickets)
            if payment.idempotency_id:
                _idempotency_finish(payment.idempotency, 201, payload)
            transaction.on_commit(lambda: events.booking_confirmed(booking, seat_ids), robust=True)
            return booking, payload
        # The hold expired (or was swept), or the showtime was cancelled or started, between
        # charge and booking: give the money back, and record that answer under the key.
        if bookable:
            refusal = errors.SlotNotOnSale(
                "The showtime stopped taking bookings while paying; the charge will be refunded."
            )
        else:
            refusal = errors.HoldExpired(
                "The hold expired while paying; the charge will be refunded."
            )
        if not _payment_move(payment, Payment.Status.CHARGED, Payment.Status.REFUND_PENDING):
            raise _SettledElsewhere
        ledger.record_charge(payment, booking=None)
        if payment.idempotency_id:
            _idempotency_finish(
                payment.idempotency, refusal.status_code, error_body(refusal.code, refusal.message)
            )
    events.refund_requested(payment.pk)  # committed above
    raise refusal


def payments_reconcile(*, older_than: timedelta | None = None) -> int:
    """Finish what a crash or an outage left between charge and booking; return how many
    payments and keys were settled. Only payments nobody has moved for `older_than`
    (default VENUE_PAYMENT_STALE_SECONDS) are touched: younger ones may still be in the
    hands of their request."""
    if older_than is None:
        older_than = timedelta(seconds=settings.VENUE_PAYMENT_STALE_SECONDS)
    # updated_at and created_at are written by the application's clock; compare with it.
    cutoff = timezone.now() - older_than
    # A crash before any payment was written leaves only a claimed key: free it.
    deleted, _ = IdempotencyRecord.objects.filter(
        status=IdempotencyRecord.Status.IN_PROGRESS, created_at__lte=cutoff, payments__isnull=True
    ).delete()
    settled = deleted
    stuck = Payment.objects.filter(
        status__in=[Payment.Status.PENDING, Payment.Status.CHARGED], updated_at__lte=cutoff
    ).select_related("idempotency")
    for payment in stuck:
        try:
            settled += _payment_settle(payment)
        except ProviderUnavailable as exc:  # ask again on the next run
            logger.warning("payment %s: provider unavailable while settling: %s", payment.pk, exc)
    # Keys whose payment reached its end but whose answer was never written (the
    # database went away right after): write it, or free the key.
    loose = IdempotencyRecord.objects.filter(
        status=IdempotencyRecord.Status.IN_PROGRESS,
        payments__status__in=[Payment.Status.SUCCEEDED, Payment.Status.FAILED],
        payments__updated_at__lte=cutoff,
    ).distinct()
    for record in loose:
        payment = record.payments.order_by("-id").first()
        if _idempotency_settle(record, payment):
            settled += 1
    # Refunds whose task was lost (a worker killed before it acknowledged, a broker that
    # was down when the refund was queued): run them here.
    for payment_id in Payment.objects.filter(
        status=Payment.Status.REFUND_PENDING, updated_at__lte=cutoff
    ).values_list("pk", flat=True):
        try:
            payment_refund(payment_id=payment_id)
        except ProviderUnavailable as exc:
            logger.warning("payment %s: provider unavailable while refunding: %s", payment_id, exc)
            continue
        settled += 1
    from .refunds import partial_refunds_resume

    settled += partial_refunds_resume(older_than=older_than)
    if settled:
        logger.info("payments_reconcile settled %s", settled)
    return settled


def payment_refund(*, payment_id: int) -> bool:
    """Refund a payment marked refund_pending (idempotent); True if this call refunded it.
    The payment's row stays locked while the provider refunds, so two runs (a redelivered
    task, the reconciler) never refund one payment twice."""
    with transaction.atomic(durable=True):
        payment = (
            Payment.objects.select_for_update(skip_locked=True)
            .filter(pk=payment_id, status=Payment.Status.REFUND_PENDING)
            .first()
        )
        if payment is None:
            return False
        amount = payment.refund_left  # partial refunds gave back the rest, or will
        if payment.provider_ref and amount > 0:
            get_provider(payment.provider).refund(
                ref=payment.provider_ref, amount=amount, currency=payment.currency
            )
        if amount > 0:
            ledger.record_refund(payment)
        _payment_set(payment, Payment.Status.REFUNDED)
    logger.info("payment %s refunded", payment_id)
    return True
