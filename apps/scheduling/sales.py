"""The one definition of "on sale", for every path that sells or queues.

A showtime is on sale when it is scheduled, its event is published, its sales window
is open (`sales_open_at` empty or past, `sales_close_at` empty or future) and it has
not started, all judged by the database's clock, so every process agrees whatever its
own clock says.

Two forms of the one rule: `on_sale()` filters querysets (lists, the waitlist), and
`is_on_sale()` judges one showtime already loaded with its event, at a `now` read from
the database in that same query. The booking hot path uses the second: building the
condition into each hold and confirm query costs more CPU than the rest of the query.
`apps/scheduling/tests/test_sales.py` holds the two to the same answers.
"""

from datetime import datetime

from django.db.models import Q
from django.db.models.functions import Now

from apps.catalog.models import EventStatus

from .models import Slot, SlotStatus


def on_sale(prefix: str = "") -> Q:
    """The condition on Slot rows, or on rows reaching a slot by `prefix` (`"slot__"`)."""

    def field(name: str) -> str:
        return f"{prefix}{name}"

    now = Now()
    return (
        Q(**{field("status"): SlotStatus.SCHEDULED})
        & Q(**{field("event__status"): EventStatus.PUBLISHED})
        & Q(**{field("starts_at__gt"): now})
        & (Q(**{field("sales_open_at__isnull"): True}) | Q(**{field("sales_open_at__lte"): now}))
        & (Q(**{field("sales_close_at__isnull"): True}) | Q(**{field("sales_close_at__gt"): now}))
    )


def is_on_sale(slot: Slot, now: datetime, *, presale: bool = False) -> bool:
    """The same rule for one showtime loaded with its event, at the database's `now`.
    `presale`: judged for a presale code's holder, for whom the sale has opened already
    (`sales_open_at` does not apply; everything else does)."""
    return (
        slot.status == SlotStatus.SCHEDULED
        and slot.event.status == EventStatus.PUBLISHED
        and now < slot.starts_at
        and (presale or slot.sales_open_at is None or slot.sales_open_at <= now)
        and (slot.sales_close_at is None or now < slot.sales_close_at)
    )
