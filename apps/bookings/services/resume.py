"""Payments that wait at their provider: the customer back from 3-D Secure, a client
polling, a provider's webhook. Each only makes the settler look again.

A notice (a webhook event, a return from the bank's page) is never trusted for what
it says: it may be late, repeated, forged in its query string, or overtaken by a later
one. It names a payment; the provider is asked where that payment's charge stands now,
and the same compare-and-set path as every other settler (`settle._payment_settle`)
books, fails or refunds it. A second delivery of an event then finds nothing to move.
"""

import logging

from django.db import transaction

from .. import ledger
from ..models import Payment
from ..payments import ProviderUnavailable
from . import settle

logger = logging.getLogger("apps.bookings.services")

KEY_PREFIX = "venue-payment-"  # Payment.idempotency_key is KEY_PREFIX + id


def payment_resume(*, payment_id: int, user=None) -> Payment | None:
    """Look again at a `pending` or `charged` payment: book it if its charge went
    through (or refund it if its hold is gone), fail it if the charge failed (its key then
    answers 402, the hold kept), else leave it. `user`: only a payment of theirs (None for
    the provider's own notices). Never gives a charge up (that is for the stale settlers
    of `payments_reconcile`). The payment as it is now, or None if there is no such one."""
    payments = Payment.objects.filter(pk=payment_id)
    if user is not None:
        payments = payments.filter(user=user)
    payment = payments.select_related("idempotency").first()
    if payment is None:
        return None
    if payment.status in (Payment.Status.PENDING, Payment.Status.CHARGED):
        try:
            settle._payment_settle(payment, give_up=False)
        except ProviderUnavailable as exc:
            logger.warning("payment %s: provider unavailable on resume: %s", payment.pk, exc)
        payment.refresh_from_db(fields=["status", "booking", "provider_ref"])
    return payment


def payment_notified(*, provider: str, ref: str = "", key: str = "") -> Payment | None:
    """A provider tells that something happened to a charge (a webhook): find its
    payment by the charge's `ref`, else by the payment's `key`, and resume it. None when
    the charge is no payment of ours. May raise ProviderUnavailable (ask again later)."""
    payment = None
    if ref:
        payment = Payment.objects.filter(provider=provider, provider_ref=ref).first()
    if payment is None and key.startswith(KEY_PREFIX) and key[len(KEY_PREFIX) :].isdigit():
        payment = Payment.objects.filter(provider=provider, pk=int(key[len(KEY_PREFIX) :])).first()
    if payment is None:
        return None
    if payment.status not in (Payment.Status.PENDING, Payment.Status.CHARGED):
        return payment  # settled already: a repeated or late notice
    settle._payment_settle(payment, give_up=False)
    payment.refresh_from_db(fields=["status", "booking", "provider_ref"])
    return payment


def payment_refunded_at_provider(*, provider: str, ref: str, fully: bool) -> bool:
    """The provider says charge `ref` was refunded. A payment waiting for its refund
    (`refund_pending`: its refund task lost its answer, or someone refunded by hand) is
    `refunded` now; True if this call moved it. A payment whose refund is running right
    now is left to it (its row is locked). A booked payment refunded outside VENUE is only
    logged: an operator decides about its booking."""
    with transaction.atomic(durable=True):
        payment = (
            Payment.objects.select_for_update(skip_locked=True)
            .filter(provider=provider, provider_ref=ref)
            .first()
        )
        if payment is None:
            return False
        if payment.status == Payment.Status.REFUND_PENDING and fully:
            ledger.record_refund(payment)
            settle._payment_set(payment, Payment.Status.REFUNDED)
            logger.info("payment %s refunded (the provider says so)", payment.pk)
            return True
        if payment.status == Payment.Status.SUCCEEDED and not fully and payment.refunded_in_part:
            # Our own partial refund (some tickets, a cheaper showtime): its row is the
            # record; `partial_refund_run` marks it made.
            logger.info("payment %s partly refunded (the provider says so)", payment.pk)
        elif payment.status == Payment.Status.SUCCEEDED:
            logger.warning(
                "payment_refunded_outside_venue: payment %s (booking %s), fully=%s",
                payment.pk,
                payment.booking_id,
                fully,
            )
    return False
