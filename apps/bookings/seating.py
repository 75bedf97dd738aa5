"""Which seats to give a group (a waitlist offer, a booking moved to another showtime): the
best free seats together in one row where possible.

"Best" for a seat map laid out from the screen (row y=0) to the back:

1. rows ranked by distance from the *sweet-spot row*, two thirds of the way back
   (ties go to the row further back): the view cinemas and halls price highest;
2. in a row, a block of adjacent seats (consecutive columns: an aisle, i.e. a
   skipped column, splits a block) ranked by how close its centre is to the
   row's centre.

If no row has enough adjacent free seats, the offer takes the best free seats
one by one by the same ranking (row first, then distance from the centre), so a
group still gets seats rather than waiting for a block that may never appear.
"""

from collections import defaultdict
from dataclasses import dataclass


@dataclass(frozen=True)
class SeatSpot:
    id: int
    x: int
    y: int


def _row_rank(ys: list[int]) -> dict[int, tuple[float, int]]:
    target = ys[round((len(ys) - 1) * 2 / 3)]
    return {y: (abs(y - target), -y) for y in ys}


def choose_seats(seats: list[SeatSpot], taken: set[int], quantity: int) -> list[int] | None:
    """The ids of the best `quantity` free seats (sorted), or None if fewer are free."""
    free = [seat for seat in seats if seat.id not in taken]
    if quantity < 1 or len(free) < quantity:
        return None
    rows: dict[int, list[SeatSpot]] = defaultdict(list)
    for seat in seats:
        rows[seat.y].append(seat)
    rank = _row_rank(sorted(rows))
    centre = {y: (min(s.x for s in row) + max(s.x for s in row)) / 2 for y, row in rows.items()}

    best: tuple | None = None
    for y, row in rows.items():
        run: list[SeatSpot] = []
        for seat in sorted((s for s in row if s.id not in taken), key=lambda s: s.x):
            if run and seat.x != run[-1].x + 1:
                run = []
            run.append(seat)
            if len(run) >= quantity:
                block = run[-quantity:]
                offset = abs((block[0].x + block[-1].x) / 2 - centre[y])
                key = (rank[y], offset, block[0].x)
                if best is None or key < best[0]:
                    best = (key, block)
    if best is not None:
        return sorted(seat.id for seat in best[1])
    ranked = sorted(free, key=lambda s: (rank[s.y], abs(s.x - centre[s.y]), s.x))
    return sorted(seat.id for seat in ranked[:quantity])
