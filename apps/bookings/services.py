"""Writes of the booking engine: holds, confirmation with payment, cancellation, expiry.

Every service takes its locks late, once and in a stable order, inside its own
`transaction.atomic(durable=True)`; broadcasts, emails and tasks leave the
process only through `transaction.on_commit`.

Confirm runs in three steps so a crash never loses money or seats:

1. (transaction) claim the Idempotency-Key, check the hold, write a `pending` Payment;
2. (no transaction) charge the provider with the payment's own idempotency key,
   then mark the payment `charged`;
3. (transaction) lock the hold again and write the booking, its tickets and the
   idempotency response together; if the hold expired meanwhile, refund.

A crash after 1 leaves a `pending` payment, after 2 a `charged` one:
`payments_reconcile` asks the provider and finishes the booking or refunds it.
A database outage after the charge is retried inside the request for a bounded
time (`VENUE_CONFIRM_SETTLE_SECONDS`); a client repeating its Idempotency-Key
settles a payment nobody has moved for `VENUE_PAYMENT_STALE_SECONDS` itself.
Every status change of a payment is a compare-and-set and step 3 locks the
payment row, so two settlers (the request, a repeat, the reconciler) never
finish one payment twice.
"""

import contextlib
import hashlib
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils import timezone

from apps.catalog.models import Seat
from apps.core import metrics
from apps.core.db import db_now, require_transaction
from apps.core.exceptions import ApplicationError, database_unavailable, error_body
from apps.scheduling import sales
from apps.scheduling.models import GENERAL_CATEGORY, Seating, Slot

from . import errors, events
from .models import (
    Booking,
    GeneralInventory,
    Hold,
    IdempotencyRecord,
    Payment,
    SeatClaim,
    Ticket,
)
from .payments import ProviderUnavailable, get_provider

logger = logging.getLogger(__name__)

MAX_SEATS_PER_HOLD = 10


@dataclass(frozen=True)
class Released:
    """What deleting a hold gave back: seat ids (reserved) or a quantity (general)."""

    slot_id: int
    seat_ids: tuple[int, ...] = ()
    quantity: int = 0
    # The deleted hold and its owner, for personal events (None for a cancelled booking).
    hold_id: int | None = None
    user_id: int | None = None


# --- holds


def _slot_for_sale(slot_id: int) -> tuple[Slot, datetime]:
    """The slot if it is on sale now, and now by the database's clock (one query)."""
    slot = (
        Slot.objects.select_related("event")
        .annotate(db_now=Now(), on_sale=sales.on_sale())
        .filter(pk=slot_id)
        .first()
    )
    if slot is None:
        raise errors.SlotNotOnSale("No such showtime.", code="slot_not_found")
    if not slot.on_sale:
        raise errors.SlotNotOnSale()
    return slot, slot.db_now


def _prices(slot: Slot) -> dict[str, Decimal]:
    return dict(slot.prices.values_list("category", "price"))


def _ensure_general_inventory(slot: Slot) -> None:
    GeneralInventory.objects.bulk_create(
        [GeneralInventory(slot=slot, available=slot.capacity)], ignore_conflicts=True
    )


def _reclaim_expired_general(slot_id: int, now: datetime) -> int:
    """Delete this slot's expired general-admission holds nobody is touching; return places."""
    require_transaction()
    rows = list(
        Hold.objects.select_for_update(skip_locked=True)
        .filter(slot_id=slot_id, expires_at__lte=now)
        .values_list("id", "quantity")
    )
    if not rows:
        return 0
    Hold.objects.filter(pk__in=[pk for pk, _ in rows]).delete()
    return sum(quantity for _, quantity in rows)


def _hold_delete(hold: Hold) -> Released:
    """Delete a hold whose row the caller has locked, giving back what it held."""
    require_transaction()
    seat_ids = tuple(sorted(hold.claims.values_list("seat_id", flat=True)))
    slot_id, quantity = hold.slot_id, hold.quantity
    owner = {"hold_id": hold.pk, "user_id": hold.user_id}
    hold.delete()  # its claims go with it
    if seat_ids:
        return Released(slot_id, seat_ids=seat_ids, **owner)
    GeneralInventory.objects.filter(slot_id=slot_id).update(available=F("available") + quantity)
    return Released(slot_id, quantity=quantity, **owner)


def _hold_locked(**filters) -> Hold | None:
    """Lock the hold (not its showtime's row: other buyers keep confirming) and judge, by
    the database clock in the same query, whether it has expired and whether its
    showtime is still on sale (`scheduling.sales.on_sale`)."""
    return (
        Hold.objects.select_for_update(of=("self",))
        .annotate(
            expired=Q(expires_at__lte=Now()),
            on_sale=sales.on_sale("slot__"),
        )
        .filter(**filters)
        .first()
    )


def _hold_insert(**fields) -> Hold:
    """Insert a hold; a concurrent hold of the same user and slot makes this one a 409.

    No savepoint: the error ends the caller's transaction (or savepoint), as it should."""
    try:
        return Hold.objects.create(**fields)
    except IntegrityError as exc:  # the unique (user, slot) of a request racing this one
        raise errors.HoldInProgress() from exc


def _claims_insert(
    slot: Slot, hold: Hold, seat_ids: list[int], expires_at: datetime, now: datetime
) -> set[int]:
    """Claim the seats for the hold; return the ids claimed (the others are taken).

    One upsert on the one-claim-per-seat constraint: a free seat gets a new claim,
    an expired hold's claim (free by definition) is taken over, a live or booked
    one is left alone. A claim being written by a concurrent transaction makes
    this wait for its end, then judge the row as it is."""
    table = connection.ops.quote_name(SeatClaim._meta.db_table)
    values = ", ".join(["(%s, %s, %s, %s)"] * len(seat_ids))
    params = [value for pk in seat_ids for value in (slot.pk, pk, hold.pk, expires_at)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (slot_id, seat_id, hold_id, expires_at) VALUES {values}"  # noqa: S608 - placeholders only
            " ON CONFLICT (slot_id, seat_id) DO UPDATE"
            " SET hold_id = EXCLUDED.hold_id, expires_at = EXCLUDED.expires_at"
            f" WHERE {table}.booking_id IS NULL AND {table}.expires_at <= %s"
            " RETURNING seat_id",
            [*params, now],
        )
        return {row[0] for row in cursor.fetchall()}


def hold_create(
    *,
    user,
    slot_id: int,
    seat_ids: list[int] | None = None,
    quantity: int | None = None,
    kind: str = Hold.Kind.PURCHASE,
    lifetime_seconds: int | None = None,
) -> Hold:
    """Hold every seat asked for, or none; replaces the user's previous hold on this slot.

    The returned hold carries `seat_ids`, the seats it claimed (empty for general admission)."""
    with transaction.atomic(durable=True):
        hold, released = _hold_create_locked(
            user=user,
            slot_id=slot_id,
            seat_ids=seat_ids,
            quantity=quantity,
            kind=kind,
            lifetime_seconds=lifetime_seconds,
        )
        _hold_announce(hold, released)
    return hold


def offer_hold_create(
    *, user, slot_id: int, seat_ids: list[int] | None, quantity: int | None, lifetime_seconds: int
) -> Hold:
    """Hold places for a waitlist offer, inside the caller's transaction (the waitlist
    marks its entry offered in the same one): all or nothing, in a savepoint of its own,
    with the same checks, refusals and after-commit announcements as `hold_create`."""
    require_transaction()
    with transaction.atomic():
        hold, released = _hold_create_locked(
            user=user,
            slot_id=slot_id,
            seat_ids=seat_ids,
            quantity=quantity,
            kind=Hold.Kind.OFFER,
            lifetime_seconds=lifetime_seconds,
        )
    _hold_announce(hold, released)
    return hold


def _hold_announce(hold: Hold, released: Released | None) -> None:
    """After commit: the replaced hold's seats are free, the new hold's are held."""
    if released:
        transaction.on_commit(lambda: events.seats_released(released), robust=True)
    transaction.on_commit(lambda: events.hold_created(hold, hold.seat_ids), robust=True)


def _hold_create_locked(
    *, user, slot_id, seat_ids, quantity, kind, lifetime_seconds
) -> tuple[Hold, Released | None]:
    """The body of hold_create and offer_hold_create; call inside a transaction."""
    require_transaction()
    slot, now = _slot_for_sale(slot_id)
    reserved = slot.seating == Seating.RESERVED
    if reserved != (seat_ids is not None) or reserved == (quantity is not None):
        raise errors.SeatingMismatch()
    count = len(seat_ids) if reserved else quantity
    if count < 1:
        raise errors.SeatingMismatch("Hold at least one seat.")
    if count > MAX_SEATS_PER_HOLD:
        raise errors.TooManySeats(details={"max": MAX_SEATS_PER_HOLD})
    expires_at = now + timedelta(seconds=lifetime_seconds or settings.VENUE_HOLD_SECONDS)
    prices = _prices(slot)

    previous = Hold.objects.select_for_update().filter(user=user, slot=slot).first()
    released = _hold_delete(previous) if previous else None

    if reserved:
        ids = sorted(set(seat_ids))
        if len(ids) != len(seat_ids):
            raise errors.InvalidSeats("The same seat is listed twice.", details={"seats": seat_ids})
        seats = dict(
            Seat.objects.filter(pk__in=ids, screen_id=slot.screen_id).values_list("id", "category")
        )
        unknown = [pk for pk in ids if pk not in seats or seats[pk] not in prices]
        if unknown:
            raise errors.InvalidSeats(details={"seats": unknown})
        hold = _hold_insert(
            user=user,
            slot=slot,
            quantity=len(ids),
            total=sum((prices[seats[pk]] for pk in ids), Decimal("0")),
            kind=kind,
            expires_at=expires_at,
        )
        claimed = _claims_insert(slot, hold, ids, expires_at, now)
        if len(claimed) < len(ids):  # all or nothing: the caller's rollback undoes ours
            metrics.holds_conflicts.inc()
            taken = [pk for pk in ids if pk not in claimed]
            raise errors.SeatUnavailable(details={"seats": taken})
        hold.seat_ids = ids
        return hold, released

    price = prices.get(GENERAL_CATEGORY)
    if price is None and len(prices) == 1:
        price = next(iter(prices.values()))
    if price is None:
        raise errors.SlotNotOnSale("This showtime has no general-admission price.")
    _ensure_general_inventory(slot)
    reclaimed = _reclaim_expired_general(slot.pk, now)
    taken = GeneralInventory.objects.filter(slot=slot, available__gte=quantity - reclaimed).update(
        available=F("available") + reclaimed - quantity
    )
    if not taken:
        available = GeneralInventory.objects.get(slot=slot).available + reclaimed
        metrics.holds_conflicts.inc()
        raise errors.SeatUnavailable(
            f"Only {available} places are left.", details={"available": available}
        )
    hold = _hold_insert(
        user=user,
        slot=slot,
        quantity=quantity,
        total=price * quantity,
        kind=kind,
        expires_at=expires_at,
    )
    hold.seat_ids = []
    return hold, released


def hold_release(*, hold_id: int, user=None) -> None:
    """Give a hold's seats back at once (places of general admission included).

    `user=None` is the admin path (any hold)."""
    with transaction.atomic(durable=True):
        holds = Hold.objects.select_for_update().filter(pk=hold_id)
        hold = (holds if user is None else holds.filter(user=user)).first()
        if hold is None:
            raise errors.HoldNotFound()
        released = _hold_delete(hold)
        transaction.on_commit(lambda: events.seats_released(released), robust=True)


def holds_expire(*, batch: int = 500) -> int:
    """Delete expired holds and announce their seats; return how many. Only tidies up:
    an expired hold is already free for every read and every new hold."""
    now = db_now()
    ids = list(Hold.objects.filter(expires_at__lte=now).values_list("id", flat=True)[:batch])
    expired = 0
    for hold_id in ids:
        with transaction.atomic(durable=True):
            hold = (
                Hold.objects.select_for_update(skip_locked=True)
                .filter(pk=hold_id, expires_at__lte=now)
                .first()
            )
            if hold is None:  # confirmed, released or being confirmed right now
                continue
            released = _hold_delete(hold)
            transaction.on_commit(
                lambda released=released: events.seats_released(released, expired=True),
                robust=True,
            )
            expired += 1
    return expired


# --- confirm


def request_fingerprint(body: dict) -> str:
    """A stable hash of a request body, to tell a replay from a different request."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class Outcome:
    """The response to a confirm: new or replayed from the idempotency record."""

    status: int
    body: dict
    replayed: bool = False


def _idempotency_claim(
    user, key: str, fingerprint: str
) -> tuple[IdempotencyRecord, Outcome | None]:
    """Claim (user, key) inside the caller's transaction: a new in-progress record, or the
    outcome the first request with this key recorded. A record past its lifetime is replaced.

    One `INSERT ... ON CONFLICT DO NOTHING`: a concurrent request with the same key
    waits for ours to commit, then finds the key taken."""
    require_transaction()
    table = connection.ops.quote_name(IdempotencyRecord._meta.db_table)
    ttl = timedelta(hours=settings.VENUE_IDEMPOTENCY_TTL_HOURS)
    created_at = timezone.now()
    for _ in range(3):
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (user_id, key, request_hash, status, created_at)"  # noqa: S608 - no input
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (user_id, key) DO NOTHING RETURNING id",
                [user.pk, key, fingerprint, IdempotencyRecord.Status.IN_PROGRESS, created_at],
            )
            row = cursor.fetchone()
        if row is not None:
            record = IdempotencyRecord(
                id=row[0], user=user, key=key, request_hash=fingerprint, created_at=created_at
            )
            return record, None
        record = IdempotencyRecord.objects.filter(user=user, key=key).first()
        if record is None:  # purged since our insert looked: claim it again
            continue
        if record.created_at > db_now() - ttl:
            if record.request_hash != fingerprint:
                raise errors.IdempotencyKeyReused()
            if record.status == IdempotencyRecord.Status.IN_PROGRESS:
                raise errors.RequestInProgress()
            return record, Outcome(record.response_status, record.response_body, replayed=True)
        record.delete()  # past its lifetime: the key is free again
    raise errors.RequestInProgress()  # the key keeps changing hands: let the client retry


def _idempotency_finish(record: IdempotencyRecord, status: int, body: dict) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        status=IdempotencyRecord.Status.COMPLETED, response_status=status, response_body=body
    )


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


def booking_confirm(
    *, user, hold_id: int, method: str, token: str, key: str, fingerprint: str
) -> Outcome:
    """Pay for a hold and turn it into a booking, at most once per Idempotency-Key."""
    for attempt in range(2):
        try:
            record, begun = _confirm_begin(
                user, key=key, fingerprint=fingerprint, hold_id=hold_id, method=method
            )
            break
        except errors.RequestInProgress:
            # The first request with this key may have died after charging (its worker
            # killed, the database gone): settle what it left, then answer from that.
            if attempt or not _idempotency_settle_stale(user=user, key=key):
                raise
    if isinstance(begun, Outcome):
        return begun
    payment = begun
    try:
        provider = get_provider(method)
        try:
            result = provider.charge(
                amount=payment.amount, token=token, key=payment.idempotency_key
            )
        except ProviderUnavailable as exc:
            _payment_move(
                payment, Payment.Status.PENDING, Payment.Status.FAILED, error=str(exc)[:200]
            )
            raise errors.PaymentProviderError() from exc
        if not result.ok:
            _payment_move(
                payment, Payment.Status.PENDING, Payment.Status.FAILED, error=result.reason[:200]
            )
            raise errors.PaymentDeclined()
        payload = _settle_charged(payment, result.ref)
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
    if payment.status == Payment.Status.FAILED and _payment_move(
        payment, Payment.Status.FAILED, Payment.Status.REFUND_PENDING, provider_ref=ref
    ):
        logger.warning("payment %s charged after it was given up: refunding", payment.pk)
        events.refund_requested(payment.pk)
        raise errors.PaymentProviderError(
            "The payment provider answered too late; the charge will be refunded. Try again."
        )


def _payment_settle(payment: Payment) -> None:
    """Finish a `pending` or `charged` payment its request left: ask the provider, then
    book or refund (step 3). Safe to run beside the request itself or another settler."""
    if payment.status == Payment.Status.PENDING:
        ref = get_provider(payment.provider).lookup(key=payment.idempotency_key)
        if not ref:
            if _payment_move(
                payment,
                Payment.Status.PENDING,
                Payment.Status.FAILED,
                error="no charge found at the provider",
            ):
                logger.info("payment %s: no charge at the provider, key freed", payment.pk)
                if payment.idempotency_id:
                    IdempotencyRecord.objects.filter(pk=payment.idempotency_id).delete()
            return
        if not _payment_move(
            payment, Payment.Status.PENDING, Payment.Status.CHARGED, provider_ref=ref
        ):
            payment.refresh_from_db(fields=["status"])
            if payment.status != Payment.Status.CHARGED:
                return  # another settler finished it
    # A refund is an answer too: step 3 recorded it under the key.
    with contextlib.suppress(errors.HoldExpired, errors.SlotNotOnSale):
        _booking_finalize(payment)


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
        _payment_settle(payment)
        payment.refresh_from_db(fields=["status", "booking"])
    in_progress = IdempotencyRecord.objects.filter(
        pk=record.pk, status=IdempotencyRecord.Status.IN_PROGRESS
    )
    if payment.status == Payment.Status.SUCCEEDED:
        from .selectors import booking_payload

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
    from .selectors import booking_payload

    status, booking_id = Payment.objects.values_list("status", "booking_id").get(pk=payment.pk)
    if status == Payment.Status.SUCCEEDED:
        booking = Booking.objects.get(pk=booking_id)
        return booking, booking_payload(booking)
    raise errors.HoldExpired("This payment was refunded; hold the seats again.")


class _SettledElsewhere(Exception):
    """Another settler moved the payment out of `charged` first: roll ours back."""


def _booking_finalize_once(payment: Payment) -> tuple[Booking, dict]:
    from .selectors import booking_payload

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
                user_id=hold.user_id, slot_id=hold.slot_id, quantity=hold.quantity, total=hold.total
            )
            if seat_ids:
                hold.claims.update(booking=booking, hold=None, expires_at=None)
                tickets = [
                    Ticket(booking=booking, seat_id=pk, number=i)
                    for i, pk in enumerate(seat_ids, 1)
                ]
            else:
                tickets = [Ticket(booking=booking, number=i) for i in range(1, hold.quantity + 1)]
            Ticket.objects.bulk_create(tickets)
            if not _payment_move(
                payment,
                Payment.Status.CHARGED,
                Payment.Status.SUCCEEDED,
                booking=booking,
                hold=None,
            ):
                raise _SettledElsewhere
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
        _payment_settle(payment)
        settled += 1
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
        payment_refund(payment_id)
        settled += 1
    if settled:
        logger.info("payments_reconcile settled %s", settled)
    return settled


def payment_refund(payment_id: int) -> None:
    """Refund a payment marked refund_pending (idempotent). The payment's row stays locked
    while the provider refunds, so two runs (a redelivered task, the reconciler) never
    refund one payment twice."""
    with transaction.atomic(durable=True):
        payment = (
            Payment.objects.select_for_update(skip_locked=True)
            .filter(pk=payment_id, status=Payment.Status.REFUND_PENDING)
            .first()
        )
        if payment is None:
            return
        if payment.provider_ref:
            get_provider(payment.provider).refund(ref=payment.provider_ref, amount=payment.amount)
        _payment_set(payment, Payment.Status.REFUNDED)
    logger.info("payment %s refunded", payment_id)


# --- cancel


def booking_cancel(*, booking_id: int, user=None) -> Booking:
    """Cancel a confirmed booking before its showtime: seats free at once, refund queued.

    `user=None` is the admin path (any booking)."""
    with transaction.atomic(durable=True):
        bookings = Booking.objects.select_for_update().filter(pk=booking_id)
        if user is not None:
            bookings = bookings.filter(user=user)
        booking = bookings.first()
        if booking is None:
            raise errors.BookingNotFound()
        if booking.status == Booking.Status.CANCELLED:
            raise errors.AlreadyCancelled()
        now = db_now()
        slot = Slot.objects.get(pk=booking.slot_id)
        cutoff = slot.starts_at - timedelta(minutes=settings.VENUE_CANCEL_CUTOFF_MINUTES)
        if now >= cutoff:
            raise errors.CancellationClosed()
        seat_ids = tuple(sorted(booking.claims.values_list("seat_id", flat=True)))
        if seat_ids:
            booking.claims.all().delete()
            released = Released(slot.pk, seat_ids=seat_ids)
        else:
            GeneralInventory.objects.filter(slot_id=slot.pk).update(
                available=F("available") + booking.quantity
            )
            released = Released(slot.pk, quantity=booking.quantity)
        booking.status = Booking.Status.CANCELLED
        booking.cancelled_at = now
        booking.save(update_fields=["status", "cancelled_at"])
        refunds = list(
            booking.payments.filter(status=Payment.Status.SUCCEEDED).values_list("pk", flat=True)
        )
        Payment.objects.filter(pk__in=refunds).update(
            status=Payment.Status.REFUND_PENDING, updated_at=timezone.now()
        )
        transaction.on_commit(
            lambda: events.booking_cancelled(booking, released, refunds), robust=True
        )
    return booking


def idempotency_purge() -> int:
    """Delete idempotency records older than their lifetime."""
    ttl = timedelta(hours=settings.VENUE_IDEMPOTENCY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(
        created_at__lte=db_now() - ttl, status=IdempotencyRecord.Status.COMPLETED
    ).delete()
    return deleted


# --- personal reminders


def holds_warn_expiring(*, within_seconds: int | None = None) -> int:
    """Tell each user whose hold expires within `within_seconds`, once per hold; return how many.

    Idempotent: a cache key per hold remembers the warning, so overlapping runs
    (or several beat processes) warn once."""
    within = settings.VENUE_HOLD_WARNING_SECONDS if within_seconds is None else within_seconds
    now = db_now()
    soon = Hold.objects.filter(
        expires_at__gt=now, expires_at__lte=now + timedelta(seconds=within)
    ).values_list("id", "user_id", "slot_id", "expires_at")
    warned = 0
    for hold_id, user_id, slot_id, expires_at in soon:
        if not cache.add(f"bookings:hold-warned:{hold_id}", 1, timeout=within + 60):
            continue
        events.hold_expiring(
            hold_id=hold_id, user_id=user_id, slot_id=slot_id, expires_at=expires_at
        )
        warned += 1
    return warned
