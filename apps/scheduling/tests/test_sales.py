"""`scheduling.sales.on_sale` is the one definition of "on sale"; every seller uses it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.catalog.models import Event, EventStatus
from apps.core.db import db_now
from apps.scheduling.models import Slot, SlotStatus
from apps.scheduling.sales import is_on_sale, on_sale
from tests.support.showtimes import showtime

pytestmark = pytest.mark.django_db
HOUR = timedelta(hours=1)


@pytest.fixture
def slot(event, screen):
    return showtime(event, screen, starts_in=5 * HOUR)


@pytest.mark.parametrize(
    ("change", "selling"),
    [
        ({}, True),
        ({"sales_open_at": -HOUR}, True),
        ({"sales_open_at": HOUR}, False),
        ({"sales_open_at": -2 * HOUR, "sales_close_at": -HOUR}, False),
        ({"sales_close_at": HOUR}, True),
        ({"status": SlotStatus.CANCELLED}, False),
        ({"starts_at": -HOUR, "ends_at": HOUR}, False),
    ],
)
def test_on_sale_follows_status_window_and_start(slot, change, selling):
    now = timezone.now()
    values = {k: (now + v if isinstance(v, timedelta) else v) for k, v in change.items()}
    Slot.objects.filter(pk=slot.pk).update(**values)
    assert Slot.objects.filter(on_sale(), pk=slot.pk).exists() is selling
    loaded = Slot.objects.select_related("event").get(pk=slot.pk)
    assert is_on_sale(loaded, db_now()) is selling  # the one-row form agrees


def test_an_unpublished_event_is_not_on_sale(slot):
    Event.objects.filter(pk=slot.event_id).update(status=EventStatus.DRAFT)
    assert not Slot.objects.filter(on_sale(), pk=slot.pk).exists()
    assert not slot.prices.filter(on_sale("slot__")).exists()
    assert not is_on_sale(Slot.objects.select_related("event").get(pk=slot.pk), db_now())
