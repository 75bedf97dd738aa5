"""`seed_demo` gives every demo event the DEMO10 promo code (bookings hears `demo_seeded`)."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from apps.bookings import services
from apps.bookings.models import PromoCode
from apps.catalog.models import Event
from apps.scheduling.models import Slot

pytestmark = pytest.mark.django_db


def test_demo10_takes_ten_percent_off_and_is_made_once():
    call_command("seed_demo", stdout=None)
    call_command("seed_demo", stdout=None)
    codes = PromoCode.objects.filter(code="DEMO10")
    assert codes.count() == Event.objects.count()
    assert {(c.kind, c.amount, c.active) for c in codes} == {("percent", Decimal("10"), True)}
    from apps.accounts.models import User

    demo = User.objects.get(email="demo@venue.test")
    slot = Slot.objects.filter(seating="general").order_by("starts_at").last()
    hold = services.hold_create(user=demo, slot_id=slot.pk, quantity=2, promo_code="demo10")
    assert hold.discount == Decimal("7.00")  # 10% of 2 x 35.00
