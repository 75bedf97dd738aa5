"""What tickets cost: `quote` prices a hold once (list prices, a promo code's discount
shared among the tickets it applies to), the hold records each seat's price after it,
and the tickets keep those.

A booking's live tickets add up to its total, so cancelling some of them refunds
exactly what was paid for those (the discount they had included), and a move compares
ticket by ticket."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


def split_evenly(total: Decimal, count: int) -> list[Decimal]:
    """`count` amounts adding up to `total` to the cent, the odd cents on the first."""
    cents = int((total * 100).to_integral_value())
    base, extra = divmod(cents, count)
    return [Decimal(base + (1 if i < extra else 0)) / 100 for i in range(count)]


def seat_prices(keys: list[str], prices) -> dict[str, str]:
    """The hold's record of each ticket's price, by `ticket_keys`."""
    return {key: str(price) for key, price in zip(keys, prices, strict=True)}


def ticket_keys(seat_ids, quantity: int) -> list[str]:
    """The keys of a hold's records per ticket (`Hold.seat_prices`, `Hold.ticket_types`):
    each seat's id, in seat-id order, or "#1".."#n" for places of general admission."""
    return [str(pk) for pk in seat_ids] if seat_ids else [f"#{n}" for n in range(1, quantity + 1)]


def ticket_prices(*, total: Decimal, seat_ids: tuple[int, ...], quantity: int, recorded: dict):
    """The price of each ticket of a hold being booked, in seat-id order (or one per
    place of general admission): the prices recorded when it was held, or, for a hold
    made before they were recorded, its total split evenly."""
    keys = ticket_keys(seat_ids, quantity)
    if all(key in recorded for key in keys):
        prices = [Decimal(recorded[key]) for key in keys]
        if sum(prices) == total:
            return prices
    return split_evenly(total, len(keys))


CENT = Decimal("0.01")


@dataclass(frozen=True)
class Discount:
    """What a promo code takes off: `percent` (0-100] of the tickets in scope, or a fixed
    `amount` per order or per ticket in scope. `categories` and `types`: the seat
    categories and ticket types in scope (None: all)."""

    kind: str
    amount: Decimal
    per: str = "order"
    categories: frozenset[str] | None = None
    types: frozenset[str] | None = None

    def covers(self, line: tuple) -> bool:
        """Whether a ticket, (category, price[, type]), is in scope."""
        if self.categories is not None and line[0] not in self.categories:
            return False
        return self.types is None or (len(line) > 2 and line[2] in self.types)


@dataclass(frozen=True)
class Charges:
    """What the event adds: a booking fee per ticket and per order, and its tax rate
    (percent) with whether the prices include it or it is added on top; and the
    currency all of it is in."""

    fee_per_ticket: Decimal = Decimal("0")
    fee_per_order: Decimal = Decimal("0")
    tax_rate: Decimal = Decimal("0")
    tax_included: bool = True
    currency: str = "EUR"

    @classmethod
    def of(cls, event) -> "Charges":
        return cls(
            fee_per_ticket=event.booking_fee_per_ticket,
            fee_per_order=event.booking_fee_per_order,
            tax_rate=event.tax_rate,
            tax_included=event.prices_include_tax,
            currency=event.currency,
        )


@dataclass(frozen=True)
class Quote:
    """The price of a hold, computed once, here: each ticket's list price and what it
    costs in the end (`paid`, in the order given: after the discount, with its share of
    the fees and of any added tax), and the totals. `tax` is the tax in the total, inside
    it when `tax_included`, on top of it otherwise:
    total = subtotal - discount + fees (+ tax when added)."""

    listed: tuple[Decimal, ...]
    paid: tuple[Decimal, ...]
    ticket_fees: tuple[Decimal, ...]
    subtotal: Decimal
    discount: Decimal
    fees: Decimal
    tax: Decimal
    tax_included: bool
    total: Decimal
    currency: str = "EUR"

    def breakdown(self) -> dict:
        return {
            "subtotal": str(self.subtotal),
            "discount": str(self.discount),
            "fees": str(self.fees),
            "tax": str(self.tax),
            "tax_included": self.tax_included,
            "total": str(self.total),
            "currency": self.currency,
        }


def _share(amount_cents: int, weights: list[int]) -> list[int]:
    """`amount_cents` split in proportion to `weights` (largest remainder: the parts add
    up exactly, and ties go to the earlier)."""
    total = sum(weights)
    if total == 0 or amount_cents == 0:
        return [0] * len(weights)
    exact = [amount_cents * w for w in weights]
    parts = [e // total for e in exact]
    left = amount_cents - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] % total), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def _cents(value: Decimal) -> int:
    return int((value * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def quote(
    lines: list[tuple],
    discount: Discount | None = None,
    charges: Charges | None = None,
) -> Quote:
    """Price tickets given as (seat category, list price[, ticket type]).

    1. A discount applies to the tickets in its scope only: a percentage of their sum
       (rounded half up to the cent), or a fixed amount per ticket (at most each
       ticket's price) or per order (at most their sum); it is shared among them in
       proportion to their prices.
    2. The fees: the per-ticket fee on each ticket, the per-order fee shared evenly.
    3. The tax (the event's rate) on what the tickets then cost: the part of it that is
       tax when the prices include it, or added on top; computed once on the order
       (rounded half up) and shared in proportion.

    Every ticket knows what was paid for it (so a partial refund gives back exactly
    that, fees and tax included), no ticket costs less than nothing, and the parts add
    up to the totals to the cent."""
    charges = charges or Charges()
    listed = [_cents(line[1]) for line in lines]
    if any(cents < 0 for cents in listed):
        raise ValueError("A price is never negative.")
    taken = [0] * len(lines)
    if discount is not None:
        scope = [i for i, line in enumerate(lines) if discount.covers(line)]
        weights = [listed[i] for i in scope]
        if discount.kind == "percent":
            off = _cents(Decimal(sum(weights)) * discount.amount / 10000)
            parts = _share(min(off, sum(weights)), weights)
        elif discount.per == "ticket":
            parts = [min(_cents(discount.amount), w) for w in weights]
        else:
            parts = _share(min(_cents(discount.amount), sum(weights)), weights)
        for i, part in zip(scope, parts, strict=True):
            taken[i] = part
    order_fee = _share(_cents(charges.fee_per_order), [1] * len(lines))
    fees = [_cents(charges.fee_per_ticket) + share for share in order_fee]
    before_tax = [p - t + f for p, t, f in zip(listed, taken, fees, strict=True)]
    rate = charges.tax_rate
    if charges.tax_included:
        tax_total = _cents(Decimal(sum(before_tax)) * rate / (100 + rate) / 100)
        paid = before_tax
    else:
        tax_total = _cents(Decimal(sum(before_tax)) * rate / 10000)
        paid = [p + t for p, t in zip(before_tax, _share(tax_total, before_tax), strict=True)]
    as_money = lambda cents: (Decimal(cents) / 100).quantize(CENT)  # noqa: E731
    return Quote(
        listed=tuple(as_money(c) for c in listed),
        paid=tuple(as_money(c) for c in paid),
        ticket_fees=tuple(as_money(c) for c in fees),
        subtotal=as_money(sum(listed)),
        discount=as_money(sum(taken)),
        fees=as_money(sum(fees)),
        tax=as_money(tax_total),
        tax_included=charges.tax_included,
        total=as_money(sum(paid)),
        currency=charges.currency,
    )
