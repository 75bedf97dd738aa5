"""Holds: take seats or places for a few minutes, release them, expire them, warn before.

A hold is all or nothing (one savepoint); seats are claimed by the database's unique
constraint on (slot, seat), places by a conditional UPDATE of the inventory."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.functions import Now

from apps.catalog.models import Seat
from apps.core import metrics
from apps.core.db import db_now, require_transaction
from apps.scheduling import sales, ticket_types
from apps.scheduling.models import GENERAL_CATEGORY, Seating, Slot

from .. import errors, events, pricing
from ..models import (
    GeneralInventory,
    Hold,
    PromoUse,
    SeatClaim,
)
from .limits import customer_limit_check
from .promo import promo_apply, promo_use_record

logger = logging.getLogger("apps.bookings.services")

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


def _slot_for_sale(slot_id: int, *, presale: bool = False) -> tuple[Slot, datetime, bool]:
    """The slot if it is on sale now, now by the database's clock (one query), and
    whether it is only on sale early: before its public sale, for a presale code's
    holder (`presale`: a code was given; the caller checks it is a presale one)."""
    slot = Slot.objects.select_related("event").annotate(db_now=Now()).filter(pk=slot_id).first()
    if slot is None:
        raise errors.SlotNotOnSale("No such showtime.", code="slot_not_found")
    if sales.is_on_sale(slot, slot.db_now):
        return slot, slot.db_now, False
    if presale and sales.is_on_sale(slot, slot.db_now, presale=True):
        return slot, slot.db_now, True
    raise errors.SlotNotOnSale()


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
    if hold.promo_code_id is not None:  # its code's use is given back
        PromoUse.objects.filter(hold_ref=hold.pk).delete()
    hold.delete()  # its claims go with it
    if seat_ids:
        return Released(slot_id, seat_ids=seat_ids, **owner)
    GeneralInventory.objects.filter(slot_id=slot_id).update(available=F("available") + quantity)
    return Released(slot_id, quantity=quantity, **owner)


def _hold_locked(**filters) -> Hold | None:
    """Lock the hold (not its showtime's row: other buyers keep confirming) and judge, by
    the database clock in the same query, whether it has expired and whether its
    showtime is still on sale (`scheduling.sales.is_on_sale`): `hold.expired` and
    `hold.on_sale`."""
    hold = (
        Hold.objects.select_for_update(of=("self",))
        .select_related("slot__event")
        .annotate(db_now=Now())
        .filter(**filters)
        .first()
    )
    if hold is not None:
        hold.expired = hold.expires_at <= hold.db_now
        hold.on_sale = sales.is_on_sale(hold.slot, hold.db_now, presale=hold.presale)
    return hold


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
    promo_code: str | None = None,
    seat_types: dict[int, str] | None = None,
    quantities: dict[str, int] | None = None,
) -> Hold:
    """Hold every seat asked for, or none; replaces the user's previous hold on this slot.

    Ticket types: `seat_types` names a type per seat (a seat not named takes the first
    type); general admission takes `quantity` (of the first type) or `quantities` per type.
    The returned hold carries `seat_ids`, the seats it claimed (empty for general admission)."""
    with transaction.atomic(durable=True):
        hold, released = _hold_create_locked(
            user=user,
            slot_id=slot_id,
            seat_ids=seat_ids,
            quantity=quantity,
            kind=kind,
            lifetime_seconds=lifetime_seconds,
            promo_code=promo_code,
            seat_types=seat_types,
            quantities=quantities,
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


def _typed(types: list, code: str, category: str) -> tuple[str, str, Decimal]:
    """A ticket of type `code` in `category`: (code, name, price), or 400
    `invalid_ticket_type` when the showtime does not sell that type there."""
    for priced in types:
        if priced.code == code:
            price = priced.prices.get(category)
            if price is None:
                raise errors.InvalidTicketType(
                    f"{priced.name} tickets are not sold for {category} seats.",
                    details={"type": code, "category": category},
                )
            return code, priced.name, price
    raise errors.InvalidTicketType(
        details={"type": code, "types": [priced.code for priced in types]}
    )


def _hold_create_locked(
    *,
    user,
    slot_id,
    seat_ids,
    quantity,
    kind,
    lifetime_seconds,
    promo_code=None,
    seat_types=None,
    quantities=None,
) -> tuple[Hold, Released | None]:
    """The body of hold_create and offer_hold_create; call inside a transaction."""
    require_transaction()
    slot, now, early = _slot_for_sale(slot_id, presale=bool(promo_code))
    reserved = slot.seating == Seating.RESERVED
    if quantities is not None:
        if reserved or quantity is not None:
            raise errors.SeatingMismatch()
        quantity = sum(quantities.values())
    if reserved != (seat_ids is not None) or reserved == (quantity is not None):
        raise errors.SeatingMismatch()
    count = len(seat_ids) if reserved else quantity
    if count < 1:
        raise errors.SeatingMismatch("Hold at least one seat.")
    if count > MAX_SEATS_PER_HOLD:
        raise errors.TooManySeats(details={"max": MAX_SEATS_PER_HOLD})
    expires_at = now + timedelta(seconds=lifetime_seconds or settings.VENUE_HOLD_SECONDS)
    prices = _prices(slot)
    types = ticket_types.slot_ticket_types(slot, prices)

    previous = Hold.objects.select_for_update().filter(user=user, slot=slot).first()
    released = _hold_delete(previous) if previous else None
    customer_limit_check(user_id=user.pk, event=slot.event, asked=count, now=now)

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
        typed = [
            (seats[pk], _typed(types, (seat_types or {}).get(pk, types[0].code), seats[pk]))
            for pk in ids
        ]
    else:
        category = GENERAL_CATEGORY if GENERAL_CATEGORY in prices else None
        if category is None and len(prices) == 1:
            category = next(iter(prices))
        if category is None:
            raise errors.SlotNotOnSale("This showtime has no general-admission price.")
        wanted = quantities or {types[0].code: quantity}
        typed = [
            (category, _typed(types, code, category))
            for priced in types
            for code in [priced.code] * wanted.get(priced.code, 0)
        ]
        if len(typed) != quantity:  # a type the showtime does not sell
            stray = sorted(set(wanted) - {priced.code for priced in types})
            _typed(types, stray[0], category)
    lines = [(category, price, code) for category, (code, _, price) in typed]
    keys = pricing.ticket_keys(ids if reserved else (), quantity)
    kinds = {key: [code, name] for key, (_, (code, name, _)) in zip(keys, typed, strict=True)}
    code, discount = None, None
    if promo_code:
        categories = {line[0] for line in lines}
        code, discount = promo_apply(
            text=promo_code,
            user=user,
            slot=slot,
            categories=categories,
            types={line[2] for line in lines},
            now=now,
        )
    if early and not code.presale:
        raise errors.SlotNotOnSale("Sales for this showtime have not opened yet.")
    if early and code.categories and not categories <= set(code.categories):
        raise errors.SlotNotOnSale(
            "Your presale code opens only these seats early: " + ", ".join(code.categories),
            details={"categories": code.categories},
        )
    quote = pricing.quote(lines, discount, pricing.Charges.of(slot.event))
    priced = {
        "total": quote.total,
        "discount": quote.discount,
        "promo_code": code,
        "breakdown": quote.breakdown(),
        "presale": early,
        "seat_prices": pricing.seat_prices(keys, quote.paid),
        "seat_fees": pricing.seat_prices(keys, quote.ticket_fees),
        "ticket_types": kinds,
    }

    if reserved:
        hold = _hold_insert(
            user=user,
            slot=slot,
            quantity=len(ids),
            kind=kind,
            expires_at=expires_at,
            created_at=now,
            **priced,
        )
        claimed = _claims_insert(slot, hold, ids, expires_at, now)
        if len(claimed) < len(ids):  # all or nothing: the caller's rollback undoes ours
            metrics.holds_conflicts.inc()
            taken = [pk for pk in ids if pk not in claimed]
            raise errors.SeatUnavailable(details={"seats": taken})
        hold.seat_ids = ids
    else:
        _ensure_general_inventory(slot)
        reclaimed = _reclaim_expired_general(slot.pk, now)
        taken = GeneralInventory.objects.filter(
            slot=slot, available__gte=quantity - reclaimed
        ).update(available=F("available") + reclaimed - quantity)
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
            kind=kind,
            expires_at=expires_at,
            created_at=now,
            **priced,
        )
        hold.seat_ids = []
    if code is not None:
        promo_use_record(code=code, user=user, hold=hold, discount=quote.discount)
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
