"""Keep slots in step with their screen's layout, and invalidate cached public reads."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from apps.catalog.models import Screen
from apps.catalog.signals import layout_changed, layout_changing
from apps.core.cache import public_cache_bump

from . import services
from .models import Slot, SlotPrice


@receiver(layout_changing, sender=Screen)
def refuse_layout_change_in_use(sender, screen, removed_seat_ids, categories, **kwargs) -> None:
    services.layout_change_check(
        screen=screen, removed_seat_ids=removed_seat_ids, categories=categories
    )


@receiver(layout_changed, sender=Screen)
def follow_layout_change(sender, screen, **kwargs) -> None:
    services.slots_follow_layout(screen=screen)


@receiver(post_save, sender=Slot)
@receiver(post_delete, sender=Slot)
@receiver(post_save, sender=SlotPrice)
@receiver(post_delete, sender=SlotPrice)
def bump_public_cache(sender, **kwargs) -> None:
    public_cache_bump()
