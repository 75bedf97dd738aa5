"""Reads of the organizer portal: sales and occupancy per showtime, sales over time."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from apps.bookings.models import Booking
from apps.catalog.selectors import event_editable, screen_editable, venue_editable
from apps.core.db import LocalDate
from apps.scheduling import selectors as scheduling
from apps.scheduling.models import Slot, SlotStatus
from apps.waitlist import selectors as waitlist

from .charts import bar_chart

DASHBOARD_SLOTS = 50
CHART_DAYS = 14


@dataclass
class SlotSales:
    slot: Slot
    tickets: int
    bookings: int
    revenue: Decimal
    available: int
    waiting: tuple[int, int] = (0, 0)  # waitlist entries and the places they want

    @property
    def occupancy(self) -> int:
        """Percent of capacity sold or held."""
        if not self.slot.capacity:
            return 0
        taken = self.slot.capacity - self.available
        return round(100 * taken / self.slot.capacity)


def organizer_slots(user) -> QuerySet[Slot]:
    return scheduling.slot_editable(user)


def slot_sales(user, *, upcoming_only: bool = True) -> list[SlotSales]:
    """Sales and occupancy of the organizer's showtimes, soonest first."""
    qs = organizer_slots(user).filter(status=SlotStatus.SCHEDULED)
    if upcoming_only:
        qs = qs.filter(starts_at__gt=timezone.now())
    qs = qs.annotate(
        sold=Sum("bookings__quantity", filter=Q(bookings__status=Booking.Status.CONFIRMED)),
        booking_count=Count("bookings", filter=Q(bookings__status=Booking.Status.CONFIRMED)),
        revenue=Sum("bookings__total", filter=Q(bookings__status=Booking.Status.CONFIRMED)),
    ).order_by("starts_at", "id")
    slots = list(qs[:DASHBOARD_SLOTS])
    available = scheduling.slot_availability_map(scheduling.slot_capacities(slots))
    waiting = waitlist.waiting_counts([slot.pk for slot in slots])
    return [
        SlotSales(
            slot=slot,
            tickets=slot.sold or 0,
            bookings=slot.booking_count or 0,
            revenue=slot.revenue or Decimal("0"),
            available=available[slot.pk],
            waiting=waiting.get(slot.pk, (0, 0)),
        )
        for slot in slots
    ]


def sales_by_day(user, *, days: int = CHART_DAYS) -> list[dict[str, Any]]:
    """Tickets and revenue of confirmed bookings per day of sale, the last `days` days;
    a sale counts on the day the venue's clock read when it was made."""
    today = timezone.now().date()
    start = today - timedelta(days=days - 1)
    rows = (
        Booking.objects.filter(
            slot__event__in=event_editable(user).values("pk"),
            status=Booking.Status.CONFIRMED,
            created_at__gte=timezone.now() - timedelta(days=days + 1),
        )
        .annotate(day=LocalDate("created_at", "slot__screen__venue__timezone"))
        .filter(day__gte=start)
        .values("day")
        .annotate(tickets=Sum("quantity"), revenue=Sum("total"))
    )
    found = {row["day"]: row for row in rows}
    out = []
    for offset in range(days):
        day: date = start + timedelta(days=offset)
        row = found.get(day, {})
        out.append(
            {"day": day, "tickets": row.get("tickets") or 0, "revenue": row.get("revenue") or 0}
        )
    return out


def sales_chart(series: list[dict[str, Any]]) -> dict[str, Any]:
    """Bar geometry for the server-rendered SVG chart of tickets per day."""
    chart = bar_chart(series, "tickets")
    chart["total"] = sum(point["tickets"] for point in series)
    return chart


def slot_bookings(user, slot_id: int, search: str = "") -> tuple[Slot | None, QuerySet[Booking]]:
    """A showtime of the organizer with its bookings, filtered by reference, email or name."""
    slot = organizer_slots(user).filter(pk=slot_id).first()
    if slot is None:
        return None, Booking.objects.none()
    qs = (
        Booking.objects.filter(slot=slot)
        .select_related("user", "promo_code")
        .prefetch_related("tickets__seat")
        .order_by("-id")
    )
    if search:
        qs = qs.filter(
            Q(reference__icontains=search)
            | Q(user__email__icontains=search)
            | Q(user__full_name__icontains=search)
        )
    return slot, qs


def my_event_or_404(user, event_id: int):
    """One of the user's own events (as organizer or on its team), or 404."""
    event = event_editable(user).filter(pk=event_id).first()
    if event is None:
        raise Http404("No such event of yours.")
    return event


def my_events(user):
    return scheduling.event_list(user, editable=True).order_by("-id")


def my_venues(user):
    return venue_editable(user).prefetch_related("screens")


def my_screens(user):
    return screen_editable(user)
