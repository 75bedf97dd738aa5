"""Partial refunds: some tickets cancelled, or the difference to a cheaper showtime.

The transaction that frees the tickets decides the refund (`cancel.partial_refund_decide`:
a `PartialRefund` row, and the payment's `refunded_in_part` raised so a later full refund
gives back only the rest). Here the provider is asked, once: the row stays locked while
it refunds, with the row's own idempotency key, so a redelivered task and the reconciler
never refund it twice."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .. import ledger
from ..models import PartialRefund
from ..payments import ProviderUnavailable, get_provider

logger = logging.getLogger("apps.bookings.services")


def partial_refund_run(*, refund_id: int) -> bool:
    """Make a pending partial refund at its provider (idempotent); True if this call did.
    A refusal is kept on the row (`error`) and raised: the task or the organizer retries."""
    with transaction.atomic(durable=True):
        refund = (
            PartialRefund.objects.select_for_update(skip_locked=True)
            .select_related("payment")
            .filter(pk=refund_id, status=PartialRefund.Status.PENDING)
            .first()
        )
        if refund is None:
            return False
        payment = refund.payment
        try:
            if payment.provider_ref:
                get_provider(payment.provider).refund(
                    ref=payment.provider_ref,
                    amount=refund.amount,
                    currency=payment.currency,
                    key=refund.idempotency_key,
                )
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"[:200]
            transaction.set_rollback(True)
        else:
            ledger.record_partial_refund(refund)
            PartialRefund.objects.filter(pk=refund.pk).update(
                status=PartialRefund.Status.REFUNDED, refunded_at=timezone.now(), error=""
            )
            error = ""
    if error:
        PartialRefund.objects.filter(pk=refund_id).update(error=error)
        logger.warning("partial refund %s refused: %s", refund_id, error)
        raise ProviderUnavailable(error)
    logger.info("partial refund %s of payment %s made", refund_id, payment.pk)
    return True


def partial_refunds_resume(*, older_than: timedelta | None = None) -> int:
    """Make the partial refunds whose task was lost (for `payments_reconcile`)."""
    if older_than is None:
        older_than = timedelta(seconds=settings.VENUE_PAYMENT_STALE_SECONDS)
    made = 0
    for refund_id in PartialRefund.objects.filter(
        status=PartialRefund.Status.PENDING, created_at__lte=timezone.now() - older_than
    ).values_list("pk", flat=True):
        try:
            made += partial_refund_run(refund_id=refund_id)
        except ProviderUnavailable:
            continue  # kept on the row; asked again next time
    return made
