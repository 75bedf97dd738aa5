"""What each ticket of a booking cost: the hold fixes the prices, the tickets keep them.

A booking's live tickets add up to its total, so cancelling some of them refunds
exactly what was paid for those, and a move compares ticket by ticket."""

from decimal import Decimal


def split_evenly(total: Decimal, count: int) -> list[Decimal]:
    """`count` amounts adding up to `total` to the cent, the odd cents on the first."""
    cents = int((total * 100).to_integral_value())
    base, extra = divmod(cents, count)
    return [Decimal(base + (1 if i < extra else 0)) / 100 for i in range(count)]


def seat_prices(prices: dict[int, Decimal]) -> dict[str, str]:
    """The hold's record of each seat's price (JSON keys are strings)."""
    return {str(seat_id): str(price) for seat_id, price in prices.items()}


def ticket_prices(*, total: Decimal, seat_ids: tuple[int, ...], quantity: int, recorded: dict):
    """The price of each ticket of a hold being booked, in seat-id order (or one per
    place of general admission): the prices recorded when it was held, or, for a hold
    made before they were recorded, its total split evenly."""
    if seat_ids and all(str(pk) in recorded for pk in seat_ids):
        prices = [Decimal(recorded[str(pk)]) for pk in seat_ids]
        if sum(prices) == total:
            return prices
    return split_evenly(total, len(seat_ids) or quantity)
