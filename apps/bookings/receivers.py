"""What bookings does when the scheduling services change a showtime (scheduling knows
nothing of bookings; it announces the changes in `apps.scheduling.signals`).

- General admission: a capacity change moves the places left by the same amount,
  inside `slot_update`'s transaction and before its write; going below what is sold
  or held is refused (409 `capacity_below_sold`).
- The live seat map: an edited showtime (rescheduled, cancelled, re-priced, its
  capacity following a layout change) gets a fresh snapshot broadcast, a deleted one
  closes its watchers' sockets; both after commit. Seat changes (hold, release,
  expiry, confirm, cancel, waitlist offers) are announced by `events`, not here.
"""

from django.db.models import F
from django.dispatch import receiver

from apps.scheduling import signals as scheduling
from apps.scheduling.models import Seating, Slot

from . import realtime
from .errors import CapacityBelowSold
from .models import GeneralInventory


@receiver(scheduling.slot_capacity_changing)
def follow_general_capacity(sender, slot: Slot, before: int, **kwargs) -> None:
    """Add a capacity change to the places left; refuse to go below what is sold or held."""
    if slot.seating != Seating.GENERAL:
        return
    delta = slot.capacity - before
    inventory = GeneralInventory.objects.filter(slot=slot)
    if delta > 0:
        inventory.update(available=F("available") + delta)
        return
    shrunk = inventory.filter(available__gte=-delta).update(available=F("available") + delta)
    if not shrunk and inventory.exists():
        raise CapacityBelowSold(details={"capacity": slot.capacity, "was": before})


@receiver(scheduling.slot_changed)
def slot_edited(sender, slot_id: int, **kwargs) -> None:
    realtime.publish_snapshot(slot_id)


@receiver(scheduling.slot_deleted)
def slot_gone(sender, slot_id: int, **kwargs) -> None:
    realtime.publish_gone(slot_id)


@receiver(scheduling.demo_seeded)
def demo_promo_code(sender, events, **kwargs) -> None:
    """The demo's `DEMO10`: 10% off, plenty of uses, on every demo event (docs/api.md)."""
    from decimal import Decimal

    from .models import PromoCode
    from .services import promo_code_create

    for event in events:
        if not PromoCode.objects.filter(event=event, code="DEMO10").exists():
            promo_code_create(
                event=event, code="DEMO10", kind="percent", amount=Decimal("10"), max_uses=100000
            )
