"""Ticket types and what each costs at one showtime.

An event sells one or more types (adult, child, ...; `models.TicketType`). The first is
the full price: each showtime's own price per seat category. Every further type has a
price per category for the whole event, which a showtime may override
(`Slot.type_prices`). An event without types sells one, `standard`. A type with no price
for a category is not sold in it."""

from dataclasses import dataclass, field
from decimal import Decimal

from .models import Slot, TicketType

STANDARD = ("standard", "Standard")
MAX_PRICE = Decimal("999999.99")  # a price has 8 digits, 2 of them cents
MAX_TYPES = 8


@dataclass(frozen=True)
class PricedType:
    """A ticket type as one showtime sells it: its price per seat category."""

    code: str
    name: str
    prices: dict[str, Decimal] = field(default_factory=dict)

    def as_json(self) -> dict:
        return {
            "code": self.code,
            "name": self.name,
            "prices": {c: str(p) for c, p in sorted(self.prices.items())},
        }


def price_table(
    types: list[tuple[str, str, dict]],
    base: dict[str, Decimal],
    overrides: dict,
) -> list[PricedType]:
    """The types of a showtime given its event's types in order, as (code, name, prices),
    the showtime's own prices (`base`, the first type's) and its overrides of the others
    (`Slot.type_prices`). Only the showtime's categories count."""
    if not types:
        return [PricedType(*STANDARD, prices=dict(base))]
    table = [PricedType(types[0][0], types[0][1], prices=dict(base))]
    for code, name, prices in types[1:]:
        merged = {**prices, **overrides.get(code, {})}
        table.append(
            PricedType(
                code,
                name,
                prices={c: Decimal(str(merged[c])) for c in base if merged.get(c) is not None},
            )
        )
    return table


def event_types(event_id: int) -> list[tuple[str, str, dict]]:
    """The event's ticket types in order, as (code, name, prices); one query."""
    return events_types([event_id])[event_id]


def events_types(event_ids) -> dict[int, list[tuple[str, str, dict]]]:
    """`event_types` of several events in one query."""
    found: dict[int, list[tuple[str, str, dict]]] = {pk: [] for pk in event_ids}
    rows = TicketType.objects.filter(event_id__in=found).values_list(
        "event_id", "code", "name", "prices"
    )
    for event_id, code, name, prices in rows:
        found[event_id].append((code, name, prices))
    return found


def slot_ticket_types(slot: Slot, base: dict[str, Decimal]) -> list[PricedType]:
    """What each ticket type costs at this showtime (one query), `base` being its prices."""
    return price_table(event_types(slot.event_id), base, slot.type_prices or {})
