"""Reads of the waitlist: your entry and place in line, organizer counts, promotion candidates."""

from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from apps.bookings.models import Hold
from apps.scheduling.models import Slot, SlotStatus
from apps.scheduling.selectors import slot_editable, slot_visible

from .models import WaitlistEntry

MAX_ID = 2**63 - 1  # ids past a bigint match nothing (and must not reach the database)


def slot_for_waitlist(user, slot_id: int) -> Slot | None:
    """A slot the user may see (so may queue for), or None."""
    if not 0 < slot_id <= MAX_ID:
        return None
    return slot_visible(user).filter(pk=slot_id).first()


def slot_for_summary(user, slot_id: int) -> Slot | None:
    """A slot whose waitlist the user may inspect: its organizer's, or any for admins."""
    if not 0 < slot_id <= MAX_ID:
        return None
    return slot_editable(user).filter(pk=slot_id).first()


def entry_live(user, slot_id: int, *, lock: bool = False) -> WaitlistEntry | None:
    """The user's waiting or offered entry on the slot; `lock` (inside a transaction) locks it."""
    if not 0 < slot_id <= MAX_ID:
        return None
    entries = WaitlistEntry.objects.select_for_update() if lock else WaitlistEntry.objects
    return entries.filter(user=user, slot_id=slot_id, status__in=WaitlistEntry.LIVE).first()


def entry_position(entry: WaitlistEntry) -> int | None:
    """1 for the head of the line; None once the entry is no longer waiting."""
    if entry.status != WaitlistEntry.Status.WAITING:
        return None
    ahead = WaitlistEntry.objects.filter(
        slot_id=entry.slot_id, status=WaitlistEntry.Status.WAITING
    ).filter(Q(created_at__lt=entry.created_at) | Q(created_at=entry.created_at, pk__lt=entry.pk))
    return ahead.count() + 1


def entry_payload(entry: WaitlistEntry) -> dict[str, Any]:
    offer = None
    if entry.status == WaitlistEntry.Status.OFFERED and entry.offered_hold_id:
        hold = (
            Hold.objects.filter(pk=entry.offered_hold_id)
            .values("id", "quantity", "total", "expires_at")
            .first()
        )
        if hold is not None:
            offer = {
                "hold": hold["id"],
                "quantity": hold["quantity"],
                "total": str(hold["total"]),
                "expires_at": hold["expires_at"].isoformat().replace("+00:00", "Z"),
            }
    return {
        "slot": entry.slot_id,
        "quantity": entry.quantity,
        "status": entry.status,
        "position": entry_position(entry),
        "joined_at": entry.created_at.isoformat().replace("+00:00", "Z"),
        "offer": offer,
    }


def slot_summary(slot: Slot) -> dict[str, Any]:
    """Entries and places per status, for the slot's organizer."""
    rows = (
        WaitlistEntry.objects.filter(slot=slot)
        .values("status")
        .annotate(entries=Count("id"), places=Sum("quantity"))
    )
    found = {row["status"]: row for row in rows}
    return {
        "slot": slot.pk,
        "statuses": {
            status: {
                "entries": found.get(status, {}).get("entries", 0),
                "places": found.get(status, {}).get("places") or 0,
            }
            for status in WaitlistEntry.Status.values
        },
    }


def waiting_counts(slot_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(entries, places) waiting or holding an offer, per slot id, in one query."""
    rows = (
        WaitlistEntry.objects.filter(slot_id__in=slot_ids, status__in=WaitlistEntry.LIVE)
        .values("slot_id")
        .annotate(entries=Count("id"), places=Sum("quantity"))
        .values_list("slot_id", "entries", "places")
    )
    return {slot_id: (entries, places) for slot_id, entries, places in rows}


def slot_has_live_entries(slot_id: int) -> bool:
    return WaitlistEntry.objects.filter(slot_id=slot_id, status__in=WaitlistEntry.LIVE).exists()


def slots_to_promote() -> QuerySet[Slot]:
    """Upcoming, scheduled slots with someone waiting or holding an offer."""
    live = WaitlistEntry.objects.filter(slot=OuterRef("pk"), status__in=WaitlistEntry.LIVE)
    return Slot.objects.filter(
        Exists(live), status=SlotStatus.SCHEDULED, starts_at__gt=timezone.now()
    ).order_by("starts_at", "id")
