"""What bookings does when the scheduling app edits a slot (scheduling knows nothing of it).

- General admission: a capacity change moves the places left by the same amount;
  going below what is sold or held is refused (409 `capacity_below_sold`).
- The live seat map: a slot saved after creation (rescheduled, cancelled,
  re-priced, its capacity following a layout change) gets a fresh snapshot
  broadcast after commit; a deleted slot closes its watchers' sockets. Seat
  changes (hold, release, expiry, confirm, cancel, waitlist offers) are
  announced by `events`, not here.
"""

from django.db import transaction
from django.db.models import F
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from apps.scheduling.models import Seating, Slot

from . import realtime
from .errors import CapacityBelowSold
from .models import GeneralInventory


@receiver(pre_save, sender=Slot)
def remember_capacity(sender, instance: Slot, **kwargs) -> None:
    instance._capacity_before = (
        Slot.objects.filter(pk=instance.pk).values_list("capacity", flat=True).first()
        if instance.pk
        else None
    )


@receiver(post_save, sender=Slot)
def follow_general_capacity(sender, instance: Slot, created: bool, **kwargs) -> None:
    """Add a capacity change to the places left; refuse to go below what is sold or held."""
    before = getattr(instance, "_capacity_before", None)
    if created or before is None or instance.seating != Seating.GENERAL:
        return
    delta = instance.capacity - before
    if delta == 0:
        return
    inventory = GeneralInventory.objects.filter(slot=instance)
    if delta > 0:
        inventory.update(available=F("available") + delta)
        return
    shrunk = inventory.filter(available__gte=-delta).update(available=F("available") + delta)
    if not shrunk and inventory.exists():
        raise CapacityBelowSold(details={"capacity": instance.capacity, "was": before})


@receiver(post_save, sender=Slot)
def slot_edited(sender, instance, created, **kwargs) -> None:
    if created:
        return  # nobody watches a slot that did not exist
    slot_id = instance.pk
    transaction.on_commit(lambda: realtime.publish_snapshot(slot_id), robust=True)


@receiver(post_delete, sender=Slot)
def slot_deleted(sender, instance, **kwargs) -> None:
    slot_id = instance.pk
    transaction.on_commit(lambda: realtime.publish_gone(slot_id), robust=True)
