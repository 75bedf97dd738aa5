"""Reads of the portal's attendance page: arrivals over time and the attendance list.

The door's own reads (checked in against expected, the double entries) are
`apps.checkin.selectors`; this module adds what only the portal shows. Times are
grouped and written in the venue's time zone, as everywhere a person reads them.
"""

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import ExtractMinute, Floor, Trunc

from apps.bookings.models import Booking, Ticket
from apps.checkin.models import Scan
from apps.scheduling.models import Slot

from .charts import bar_chart

BUCKET_MINUTES = 10


def first_admissions(slot: Slot) -> QuerySet[Scan]:
    """Each ticket's arrival: its earliest admission at this door (a re-entry after an
    exit admits again, but the person arrived once; a double entry is not an admission)."""
    earlier = Scan.objects.filter(ticket=OuterRef("ticket"), result=Scan.Result.ADMITTED).filter(
        Q(scanned_at__lt=OuterRef("scanned_at"))
        | Q(scanned_at=OuterRef("scanned_at"), pk__lt=OuterRef("pk"))
    )
    return Scan.objects.filter(
        slot=slot, result=Scan.Result.ADMITTED, ticket__isnull=False
    ).exclude(Exists(earlier))


def arrivals_by_bucket(slot: Slot) -> list[dict[str, Any]]:
    """Arrivals per BUCKET_MINUTES of the venue's clock, from the first bucket with an
    arrival to the last (the empty ones between included): `[{"start", "count"}]`, each
    `start` an aware datetime in the venue's zone. One query, grouped by the database."""
    zone = slot.screen.venue.tzinfo
    rows = (
        first_admissions(slot)
        .annotate(
            hour=Trunc("scanned_at", "hour", tzinfo=zone),
            part=Floor(ExtractMinute("scanned_at", tzinfo=zone) / BUCKET_MINUTES),
        )
        .values("hour", "part")
        .annotate(count=Count("pk"))
        .order_by()
    )
    # Keyed by the wall-clock time: what the venue's clock read when the bucket began.
    found: dict[datetime, int] = {}
    for row in rows:
        start = row["hour"].astimezone(zone) + timedelta(minutes=int(row["part"]) * BUCKET_MINUTES)
        key = start.replace(tzinfo=None)
        found[key] = found.get(key, 0) + row["count"]
    if not found:
        return []
    step = timedelta(minutes=BUCKET_MINUTES)
    first, last = min(found), max(found)
    series, at = [], first
    while at <= last:
        series.append({"start": at.replace(tzinfo=zone), "count": found.get(at, 0)})
        at += step
    return series


def arrivals_chart(series: list[dict[str, Any]]) -> dict[str, Any]:
    """Bar geometry for the server-rendered SVG of arrivals per bucket, with a time
    label every few bars."""
    chart = bar_chart(series, "count")
    label_every = max(1, -(-len(series) // 10))  # at most about ten labels
    for index, bar in enumerate(chart["bars"]):
        bar["labelled"] = index % label_every == 0
        bar["end"] = bar["start"] + timedelta(minutes=BUCKET_MINUTES)
    chart.update(
        total=sum(point["count"] for point in series),
        busiest=max(series, key=lambda point: point["count"], default=None),
        minutes=BUCKET_MINUTES,
    )
    return chart


def attendance_tickets(slot: Slot) -> QuerySet[Ticket]:
    """Every ticket of the showtime's confirmed bookings, in booking order, each with its
    arrival (`admitted_at`, `admitted_gate`, `admitted_by`: the first admission's time,
    gate and staff email; None if it never came) and `double_entry` (any at all). One
    query whatever the number of tickets: stream it with `.iterator()`."""
    arrival = Scan.objects.filter(ticket=OuterRef("pk"), result=Scan.Result.ADMITTED).order_by(
        "scanned_at", "pk"
    )
    doubles = Scan.objects.filter(ticket=OuterRef("pk"), result=Scan.Result.DOUBLE_ENTRY)
    return (
        Ticket.objects.filter(booking__slot=slot, booking__status=Booking.Status.CONFIRMED)
        .select_related("booking", "seat")
        .only(
            "number",
            "status",
            "ticket_type_name",
            "booking__reference",
            "seat__label",
            "seat__category",
        )
        .annotate(
            admitted_at=Subquery(arrival.values("scanned_at")[:1]),
            admitted_gate=Subquery(arrival.values("gate")[:1]),
            admitted_by=Subquery(arrival.values("staff__email")[:1]),
            double_entry=Exists(doubles),
        )
        .order_by("booking_id", "number")
    )
