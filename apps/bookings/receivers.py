"""Keep general-admission inventory in step with organizer edits of a slot's capacity."""

from django.db.models import F
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from apps.scheduling.models import Seating, Slot

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
