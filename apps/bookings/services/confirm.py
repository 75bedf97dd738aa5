"""Confirm: pay for a hold and turn it into a booking, at most once per Idempotency-Key
(steps 1 and 2; step 3 is `settle`)."""

import logging

from django.conf import settings
from django.db import transaction

from apps.core.exceptions import ApplicationError, error_body

from .. import errors
from ..models import (
    IdempotencyRecord,
    Payment,
)
from ..payments import ProviderUnavailable, get_provider
from . import resume, settle
from .holds import _hold_locked
from .idempotency import Outcome, _idempotency_claim, _idempotency_finish

logger = logging.getLogger("apps.bookings.services")


def _confirm_begin(
    user, *, key: str, fingerprint: str, hold_id: int, method: str
) -> tuple[IdempotencyRecord, Outcome | Payment]:
    """Step 1, one transaction: claim the key, lock the hold, write a pending payment.

    Return the record and the new payment, or the outcome to replay. A missing or
    expired hold, or one whose showtime was cancelled or has started, is recorded under
    the key (so repeats get the same answer) and raised."""
    with transaction.atomic(durable=True):
        record, replay = _idempotency_claim(user, key, fingerprint)
        if replay is not None:
            return record, replay
        hold = _hold_locked(pk=hold_id, user=user)
        if hold is not None and not hold.expired and hold.on_sale:
            payment = Payment.objects.create(
                user=user,
                hold=hold,
                slot_id=hold.slot_id,
                amount=hold.total,
                currency=hold.slot.event.currency,
                provider=method,
                idempotency=record,
            )
            return record, payment
        if hold is None:
            refusal = errors.HoldNotFound()
        elif hold.expired:
            refusal = errors.HoldExpired()
        else:
            refusal = errors.SlotNotOnSale("This showtime no longer takes bookings.")
        _idempotency_finish(record, refusal.status_code, error_body(refusal.code, refusal.message))
    raise refusal


def booking_confirm(
    *,
    user,
    hold_id: int,
    method: str,
    token: str,
    key: str,
    fingerprint: str,
    return_url: str = "",
) -> Outcome:
    """Pay for a hold and turn it into a booking, at most once per Idempotency-Key.

    With VENUE_REQUIRE_VERIFIED_EMAIL on, an account whose address is not proven yet
    cannot pay (403 `email_not_verified`); it may still hold.

    A charge the customer must authorise first (3-D Secure) answers 202 with the page to
    send them to; `return_url` is where they come back, `{payment}` standing for the
    payment's id (the site's `/payments/<id>/return/`). The key keeps that 202 until the
    payment ends: then it answers 201, 402 or 410 (`resume.payment_resume`)."""
    if settings.VENUE_REQUIRE_VERIFIED_EMAIL and user.email_verified_at is None:
        raise errors.EmailNotVerified()
    for attempt in range(2):
        try:
            record, begun = _confirm_begin(
                user, key=key, fingerprint=fingerprint, hold_id=hold_id, method=method
            )
            break
        except errors.RequestInProgress:
            # The first request with this key may have died after charging (its worker
            # killed, the database gone): settle what it left, then answer from that.
            if attempt or not settle._idempotency_settle_stale(user=user, key=key):
                raise
    if isinstance(begun, Outcome):
        if begun.status == 202:
            return _confirm_pending_replay(user, key, begun)
        return begun
    payment = begun
    try:
        provider = get_provider(method)
        try:
            result = provider.charge(
                amount=payment.amount,
                currency=payment.currency,
                token=token,
                key=payment.idempotency_key,
                # Providers that name the charge before money moves store its ref first.
                remember=lambda ref: settle._payment_move(
                    payment, Payment.Status.PENDING, Payment.Status.PENDING, provider_ref=ref
                ),
                return_url=return_url.replace("{payment}", str(payment.pk)),
            )
        except ProviderUnavailable as exc:
            logger.warning(
                "payment_provider_unavailable: payment %s (%s): %s", payment.pk, method, exc
            )
            settle._payment_move(
                payment, Payment.Status.PENDING, Payment.Status.FAILED, error=str(exc)[:200]
            )
            raise errors.PaymentProviderError() from exc
        if result.pending:
            return _confirm_pending(record, payment, result)
        if not result.ok:
            settle._payment_move(
                payment, Payment.Status.PENDING, Payment.Status.FAILED, error=result.reason[:200]
            )
            raise errors.PaymentDeclined()
        payload = settle._settle_charged(payment, result.ref)
    except errors.PaymentProviderError:
        # Nothing was charged or booked: free the key so the client can retry with it.
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        raise
    except ApplicationError as exc:
        _idempotency_finish(record, exc.status_code, error_body(exc.code, exc.message, exc.details))
        raise
    # Any other failure (the database gone for longer than the settle window): money may
    # have moved, so the key stays in progress until a repeat of the request or
    # payments_reconcile settles the payment and records the outcome.
    return Outcome(201, payload)


def _confirm_pending(record: IdempotencyRecord, payment: Payment, result) -> Outcome:
    """The charge waits for the customer (3-D Secure) or the provider: the payment stays
    `pending` with its ref, and the key answers 202 with where to send the customer, until
    a settler records the end (unless one did already: then that is the answer)."""
    if result.ref and payment.provider_ref != result.ref:
        settle._payment_move(
            payment, Payment.Status.PENDING, Payment.Status.PENDING, provider_ref=result.ref
        )
    body = {
        "status": "requires_action" if result.needs_customer else "processing",
        "payment": payment.pk,
        "redirect_url": result.action_url or None,
    }
    if IdempotencyRecord.objects.filter(
        pk=record.pk, status=IdempotencyRecord.Status.IN_PROGRESS
    ).update(status=IdempotencyRecord.Status.COMPLETED, response_status=202, response_body=body):
        return Outcome(202, body)
    return _recorded(record.user_id, record.key) or Outcome(202, body)


def _confirm_pending_replay(user, key: str, first: Outcome) -> Outcome:
    """A repeat of a confirm that answered 202: look at the payment again first, so the
    repeat answers the booking (or the refusal) once the customer has authorised."""
    resume.payment_resume(payment_id=first.body["payment"], user=user)
    return _recorded(user.pk, key, replayed=True) or first


def _recorded(user_id: int, key: str, *, replayed: bool = False) -> Outcome | None:
    record = IdempotencyRecord.objects.filter(
        user_id=user_id, key=key, status=IdempotencyRecord.Status.COMPLETED
    ).first()
    if record is None:
        return None
    return Outcome(record.response_status, record.response_body, replayed=replayed)
