"""Organizer edits reach the live seat map: the scheduling app does not know about it.

A slot saved after creation (rescheduled, cancelled, re-priced, its capacity
following a layout change: `scheduling.services.slots_follow_layout` saves each
upcoming slot of the screen) gets a fresh snapshot broadcast after commit; a
deleted slot closes its watchers' sockets. Seat changes (hold, release, expiry,
confirm, cancel, waitlist offers) are announced by `events`, not here.
"""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from apps.scheduling.models import Slot

from . import realtime


@receiver(post_save, sender=Slot)
def slot_edited(sender, instance, created, **kwargs) -> None:
    if created:
        return  # nobody watches a slot that did not exist
    slot_id = instance.pk
    transaction.on_commit(lambda: realtime.publish_snapshot(slot_id))


@receiver(post_delete, sender=Slot)
def slot_deleted(sender, instance, **kwargs) -> None:
    slot_id = instance.pk
    transaction.on_commit(lambda: realtime.publish_gone(slot_id))
