"""Promo codes: the organizer's writes, and applying a code to a hold.

A code is applied inside the hold's transaction with its row locked (FOR UPDATE), so
buyers using one code queue on it (nobody else does) and each counts the uses the
others committed: a code with one use left is spent by exactly one of two buyers at
once. A use counts while its hold is live (until it expires or is released: the count
reads the hold's expiry, so a lapsed hold gives its use back at once) and for good once
booked. A booking cancelled later keeps its use spent."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from apps.core.exceptions import ApplicationError

from .. import errors
from ..models import PromoCode, PromoUse
from ..pricing import Discount


def _normal(text: str) -> str:
    return (text or "").strip().upper()


def promo_apply(
    *, text: str, user, slot, categories: set[str], now: datetime, types: set[str] = frozenset()
):
    """Lock and check the code for a hold of `slot` with seats of `categories` and tickets
    of `types`; return the code and its `Discount`, or raise 400 `promo_invalid` saying
    why. Call inside the hold's transaction (the lock lasts until it ends)."""
    code = (
        PromoCode.objects.select_for_update()
        .filter(event_id=slot.event_id, code=_normal(text), active=True)
        .first()
    )
    if code is None:
        raise errors.PromoInvalid()
    if (code.valid_from and now < code.valid_from) or (
        code.valid_until and now >= code.valid_until
    ):
        raise errors.PromoInvalid("This code is not valid now.", details={"reason": "window"})
    if code.slots.exists() and not code.slots.filter(pk=slot.pk).exists():
        raise errors.PromoInvalid(
            "This code is not valid for this showtime.", details={"reason": "showtime"}
        )
    scope = frozenset(code.categories) or None
    if scope is not None and not (scope & categories):
        raise errors.PromoInvalid(
            "This code does not apply to these seats.",
            details={"reason": "categories", "categories": sorted(scope)},
        )
    kinds = frozenset(code.ticket_types) or None
    if kinds is not None and not (kinds & types):
        raise errors.PromoInvalid(
            "This code does not apply to these ticket types.",
            details={"reason": "ticket_types", "ticket_types": sorted(kinds)},
        )
    live = PromoUse.objects.filter(code=code).filter(
        Q(booking__isnull=False) | Q(expires_at__gt=now)
    )
    if code.max_uses is not None and live.count() >= code.max_uses:
        raise errors.PromoInvalid("This code has been used up.", details={"reason": "used_up"})
    if (
        code.max_uses_per_customer is not None
        and live.filter(user=user).count() >= code.max_uses_per_customer
    ):
        raise errors.PromoInvalid(
            f"You have used this code {code.max_uses_per_customer} times already.",
            details={"reason": "used_up_by_you"},
        )
    return code, Discount(
        kind=code.kind, amount=code.amount, per=code.per, categories=scope, types=kinds
    )


def promo_use_record(*, code: PromoCode, user, hold, discount) -> PromoUse:
    """The hold keeps a use of the code (inside the hold's transaction)."""
    return PromoUse.objects.create(
        code=code, user=user, hold_ref=hold.pk, expires_at=hold.expires_at, discount=discount
    )


def promo_code_create(*, event, slots=(), **fields) -> PromoCode:
    """A new code for the event (its text upper-cased); 409 `promo_code_taken` if the event
    has it already."""
    fields["code"] = _normal(fields["code"])
    with transaction.atomic(durable=True):
        if PromoCode.objects.filter(event=event, code=fields["code"]).exists():
            raise errors.PromoCodeTaken()
        code = PromoCode.objects.create(event=event, **fields)
        if slots:
            code.slots.set(slots)
    return code


def promo_code_update(*, code: PromoCode, slots=None, **fields) -> PromoCode:
    """Change a code (its text stays); `active=False` retires it: uses already made stand."""
    with transaction.atomic(durable=True):
        for name, value in fields.items():
            setattr(code, name, value)
        try:
            code.full_clean(exclude=["event", "slots"])
        except ValidationError as exc:
            raise ApplicationError(
                "The code's fields do not agree.",
                code="validation_error",
                details=getattr(exc, "message_dict", {"__all__": exc.messages}),
            ) from exc
        code.save()
        if slots is not None:
            code.slots.set(slots)
    return code
