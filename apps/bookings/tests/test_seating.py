from apps.bookings.seating import SeatSpot, choose_seats


def hall(rows: int, per_row: int, aisle_after: int | None = None) -> list[SeatSpot]:
    seats = []
    for y in range(rows):
        for n in range(per_row):
            x = n + (1 if aisle_after is not None and n >= aisle_after else 0)
            seats.append(SeatSpot(id=y * 100 + n, x=x, y=y))
    return seats


def test_a_group_sits_together_in_the_sweet_spot_row_centre():
    seats = hall(rows=4, per_row=7)  # sweet spot: two thirds back = row y=2
    assert choose_seats(seats, set(), 3) == [202, 203, 204]


def test_a_taken_centre_moves_the_block_along_the_row_not_to_another_row():
    seats = hall(rows=4, per_row=7)
    assert choose_seats(seats, {203}, 2) in ([201, 202], [204, 205])


def test_an_aisle_splits_a_block():
    seats = hall(rows=1, per_row=6, aisle_after=3)  # x: 0 1 2 | 4 5 6
    assert choose_seats(seats, set(), 4) == [1, 2, 3, 4]  # no block of 4: nearest the centre
    assert choose_seats(seats, set(), 3) in ([0, 1, 2], [3, 4, 5])


def test_the_next_best_row_has_room_when_the_sweet_spot_is_full():
    seats = hall(rows=4, per_row=5)
    taken = {200, 201, 202, 203, 204}
    # rows 1 and 3 are equally far from row 2: the one further back wins
    assert choose_seats(seats, taken, 2) == [301, 302]  # ties: the leftmost block


def test_scattered_seats_when_no_row_has_a_block():
    seats = hall(rows=2, per_row=4)
    taken = {1, 3, 101, 103}  # free: 0, 2, 100, 102: no two adjacent anywhere
    chosen = choose_seats(seats, taken, 3)
    assert len(chosen) == 3 and not set(chosen) & taken


def test_not_enough_free_seats():
    seats = hall(rows=1, per_row=3)
    assert choose_seats(seats, {0, 1}, 2) is None
    assert choose_seats(seats, set(), 0) is None
