"""Twenty buyers race for a promo code with five uses left: exactly five holds carry it.

Real threads against PostgreSQL, each buyer holding a seat of its own with the code at
the same moment. The code's row is locked while a hold applies it, so each buyer counts
the uses the others committed; the database afterwards holds exactly five uses, the
other fifteen buyers were told `promo_invalid` and hold nothing."""

from decimal import Decimal

import pytest

from apps.bookings import services as bookings
from apps.bookings.models import Hold, PromoUse
from apps.bookings.services.promo import promo_code_create
from apps.core.exceptions import ApplicationError

from .conftest import race, race_users

pytestmark = pytest.mark.django_db(transaction=True)
BUYERS, LEFT = 20, 5


def test_twenty_buyers_five_uses(event, reserved_slot, later_slot, seat_ids):
    code = promo_code_create(
        event=event, code="RACE", kind="percent", amount=Decimal("50"), max_uses=LEFT + 3
    )
    early = race_users("early", 3)
    for person, seat in zip(early, seat_ids[:3], strict=True):  # three uses gone before
        bookings.hold_create(user=person, slot_id=later_slot.pk, seat_ids=[seat], promo_code="race")
    buyers = race_users("racer", BUYERS)

    def buy(buyer, seat):
        try:
            hold = bookings.hold_create(
                user=buyer, slot_id=reserved_slot.pk, seat_ids=[seat], promo_code="RACE"
            )
        except ApplicationError as exc:
            return exc.code
        return hold.total

    results = race(buy, list(zip(buyers, seat_ids[:BUYERS], strict=True)), workers=BUYERS)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    won = [r for r in results if isinstance(r, Decimal)]
    assert len(won) == LEFT, results
    assert sorted(r for r in results if isinstance(r, str)) == ["promo_invalid"] * (BUYERS - LEFT)
    assert PromoUse.objects.filter(code=code).count() == LEFT + 3
    assert Hold.objects.filter(user__in=buyers).count() == LEFT
    assert set(Hold.objects.filter(user__in=buyers).values_list("promo_code", flat=True)) == {
        code.pk
    }
