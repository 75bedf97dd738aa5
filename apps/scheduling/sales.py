"""The one definition of "on sale", for every path that sells or queues.

A showtime is on sale when it is scheduled, its event is published, its sales window
is open (`sales_open_at` empty or past, `sales_close_at` empty or future) and it has
not started, all judged by the database's clock, in the query that reads or locks
the rows, so every process agrees whatever its own clock says.
"""

from django.db.models import Q
from django.db.models.functions import Now

from apps.catalog.models import EventStatus

from .models import SlotStatus


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
