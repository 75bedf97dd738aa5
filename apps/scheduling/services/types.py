"""Ticket types: an event's list (`ticket_types_set`) and a showtime's own prices of
the further types (`type_prices_checked`, used by the slot services)."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from apps.catalog.models import Event, category_validator
from apps.core.cache import public_cache_bump

from ..errors import InvalidPrices
from ..models import TicketType
from ..ticket_types import MAX_PRICE, MAX_TYPES, event_types


def _checked_prices(prices: dict, where: str) -> dict[str, str]:
    checked = {}
    for category, price in prices.items():
        try:
            category_validator(category)
            value = Decimal(str(price))
        except Exception as exc:
            raise InvalidPrices(
                f"{where}: '{category}' is not a seat category with a price.",
                details={"category": category},
            ) from exc
        if not value.is_finite() or not 0 <= value <= MAX_PRICE or value.as_tuple().exponent < -2:
            raise InvalidPrices(
                f"{where}: a price is from 0 to 999999.99, to the cent.",
                details={"category": category},
            )
        checked[category] = str(value.quantize(Decimal("0.01")))
    return checked


@transaction.atomic(durable=True)
def ticket_types_set(*, event: Event, types: list[dict]) -> list[TicketType]:
    """Replace the event's ticket types, in the order given: each {"code", "name",
    "prices"}; the first type's price is each showtime's own, so it takes no `prices`.
    Holds keep the prices they were made at; showtimes' overrides of a type that is gone
    are ignored."""
    Event.objects.select_for_update().filter(pk=event.pk).first()
    if not 1 <= len(types) <= MAX_TYPES:
        raise InvalidPrices(f"Give between 1 and {MAX_TYPES} ticket types.")
    codes = [t["code"] for t in types]
    if len(set(codes)) != len(codes):
        raise InvalidPrices("Each ticket type has its own code.", details={"codes": codes})
    for t in types:
        try:
            category_validator(t["code"])
        except ValidationError as exc:
            raise InvalidPrices(
                f"'{t['code']}' is not a ticket type code: a short lower-case word.",
                details={"code": t["code"]},
            ) from exc
        if not 1 <= len(t["name"].strip()) <= 64:
            raise InvalidPrices(
                f"Ticket type {t['code']} needs a name of 1 to 64 characters.",
                details={"code": t["code"]},
            )
    if types[0].get("prices"):
        raise InvalidPrices(
            f"The first ticket type ({codes[0]}) is the full price: each showtime's own "
            "prices. Give prices only for the other types.",
            details={"code": codes[0]},
        )
    rows = [
        TicketType(
            event=event,
            code=t["code"],
            name=t["name"].strip(),
            position=i,
            prices=_checked_prices(t.get("prices") or {}, t["code"]),
        )
        for i, t in enumerate(types)
    ]
    TicketType.objects.filter(event=event).delete()
    created = TicketType.objects.bulk_create(rows)
    public_cache_bump()  # event pages list their showtimes' types
    return created


def type_prices_checked(event: Event, type_prices: dict) -> dict[str, dict[str, str]]:
    """A showtime's overrides, checked against the event's further types."""
    further = [code for code, _, _ in event_types(event.pk)[1:]]
    unknown = sorted(set(type_prices) - set(further))
    if unknown:
        raise InvalidPrices(
            "Only the event's further ticket types take a showtime's own prices: "
            + (", ".join(further) or "this event has none"),
            details={"unknown": unknown, "types": further},
        )
    return {code: _checked_prices(prices, code) for code, prices in type_prices.items()}
